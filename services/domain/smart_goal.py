"""The SMART goal decider: one checkable statement, expected to be fully done."""

from __future__ import annotations

from events.envelope import EventPayload
from events.smart_goals import SmartGoalCreated
from events.values import AggregateType, Metric, ParentRef
from services.domain import rules
from services.domain.commands import Command, CreateSmartGoal, GoalCommand
from services.domain.errors import ErrorCode, RuleViolation
from services.domain.facts import NO_FACTS, DecisionFacts
from services.domain.goal_commands import decide_goal_command, evolve_goal_event
from services.domain.smart_criteria import smart_violations
from services.domain.state import SmartGoalState


def _create(command: CreateSmartGoal, facts: DecisionFacts) -> SmartGoalCreated:
    violations = smart_violations(command)
    if violations:
        failed = ", ".join(dict.fromkeys(v.criterion for v in violations))
        raise RuleViolation(ErrorCode.NOT_SMART, f"not SMART: fails {failed}", violations)
    accepted: tuple[ParentRef, ...] = ()
    for parent in command.serves:
        rules.check_parent(None, command.level, parent, accepted, command.meta, facts)
        accepted = (*accepted, parent)
    # smart_violations has refused a missing metric or deadline.
    assert command.metric is not None
    assert command.deadline is not None
    rules.require_reachable(command.metric)
    return SmartGoalCreated(
        statement=command.statement.strip(),
        owner=command.owner,
        level=command.level,
        cycle=command.cycle,
        metric=command.metric,
        deadline=command.deadline,
        achievability=command.achievability,
        initial_confidence=command.initial_confidence,
        serves=command.serves,
        personal=command.personal,
    )


def decide_smart_goal(
    state: SmartGoalState | None, command: Command, facts: DecisionFacts = NO_FACTS
) -> list[EventPayload]:
    """The events a SMART goal command yields; raises RuleViolation when refused."""
    if command.target_type is not AggregateType.SMART_GOAL:
        raise RuleViolation(ErrorCode.UNKNOWN_COMMAND, f"{command.name} is not for SMART goals")
    if isinstance(command, CreateSmartGoal):
        if state is not None:
            raise RuleViolation(ErrorCode.GOAL_EXISTS, f"SMART goal {command.goal_id} exists")
        return [_create(command, facts)]
    if state is None:
        raise RuleViolation(ErrorCode.UNKNOWN_GOAL, f"no SMART goal {command.aggregate_id!r}")
    if isinstance(command, GoalCommand):
        metric = state.metric

        def metric_of(key_result_id: str | None) -> Metric:
            if key_result_id is not None:
                raise RuleViolation(
                    ErrorCode.KEY_RESULT_NOT_EXPECTED, "a SMART goal has no key results"
                )
            return metric

        return decide_goal_command(state, command, facts, metric_of)
    raise RuleViolation(ErrorCode.UNKNOWN_COMMAND, f"{command.name} is not for SMART goals")


def evolve_smart_goal(state: SmartGoalState | None, event: EventPayload) -> SmartGoalState:
    """The SMART goal after ``event``."""
    if isinstance(event, SmartGoalCreated):
        return SmartGoalState(
            statement=event.statement,
            owner=event.owner,
            level=event.level,
            cycle=event.cycle,
            metric=event.metric,
            deadline=event.deadline,
            personal=event.personal,
            parents=event.serves,
        )
    if state is None:
        raise ValueError(f"{event.event_type} before smart_goal.created")
    return evolve_goal_event(state, event)
