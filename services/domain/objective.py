"""The objective decider: an objective with two to five measurable key results."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from events.envelope import EventPayload
from events.objectives import (
    KeyResultAdded,
    KeyResultAdjusted,
    KeyResultTerms,
    ObjectiveActivated,
    ObjectiveCreated,
)
from events.values import AggregateType, Metric
from services.domain import rules
from services.domain.commands import (
    ActivateObjective,
    AddKeyResult,
    AdjustKeyResult,
    Command,
    CreateObjective,
    GoalCommand,
)
from services.domain.errors import ErrorCode, RuleViolation
from services.domain.facts import NO_FACTS, DecisionFacts
from services.domain.goal_commands import MetricOf, decide_goal_command, evolve_goal_event
from services.domain.state import GoalStatus, KeyResultState, ObjectiveState

MAX_KEY_RESULTS = 5
MIN_KEY_RESULTS = 2
FEWER_THAN_TWO = "fewer_than_two_key_results"


def _changed_fields(before: KeyResultTerms, after: KeyResultTerms) -> tuple[str, ...]:
    changed = [
        name for name in ("title", "weight") if getattr(before, name) != getattr(after, name)
    ]
    old: dict[str, Any] = before.metric.model_dump()
    new: dict[str, Any] = after.metric.model_dump()
    changed += [f"metric.{name}" for name in old if old[name] != new[name]]
    return tuple(changed)


def _adjust(
    state: ObjectiveState, command: AdjustKeyResult, facts: DecisionFacts
) -> KeyResultAdjusted:
    kr = state.key_result(command.key_result_id)
    if kr is None:
        raise RuleViolation(
            ErrorCode.UNKNOWN_KEY_RESULT, f"no key result {command.key_result_id!r}"
        )
    before = kr.terms
    after = KeyResultTerms(
        title=command.title if command.title is not None else before.title,
        metric=command.metric if command.metric is not None else before.metric,
        weight=command.weight if command.weight is not None else before.weight,
    )
    changed = _changed_fields(before, after)
    if not changed:
        raise RuleViolation(ErrorCode.NOTHING_CHANGED, "the new terms equal the current ones")
    # The recorded time counts as well as the business time: a caller cannot skip the
    # reason by back-dating meta.now.
    mid_cycle = state.cycle.has_started(command.meta.now) or (
        facts.received_at is not None and state.cycle.has_started(facts.received_at)
    )
    reason = (command.reason or "").strip() or None
    if mid_cycle and reason is None:
        raise RuleViolation(
            ErrorCode.REASON_REQUIRED,
            f"cycle {state.cycle.id} has started: a mid-cycle adjustment needs a reason",
        )
    return KeyResultAdjusted(
        key_result_id=command.key_result_id,
        before=before,
        after=after,
        changed_fields=changed,
        mid_cycle=mid_cycle,
        reason=reason,
    )


def decide_objective(
    state: ObjectiveState | None, command: Command, facts: DecisionFacts = NO_FACTS
) -> list[EventPayload]:
    """The events an objective command yields; raises RuleViolation when refused."""
    if command.target_type is not AggregateType.OBJECTIVE:
        raise RuleViolation(ErrorCode.UNKNOWN_COMMAND, f"{command.name} is not for objectives")
    if isinstance(command, CreateObjective):
        if state is not None:
            raise RuleViolation(ErrorCode.GOAL_EXISTS, f"objective {command.objective_id} exists")
        return [
            ObjectiveCreated(
                title=command.title,
                description=command.description,
                level=command.level,
                owner=command.owner,
                team=command.team,
                cycle=command.cycle,
                commitment=command.commitment,
            )
        ]
    if state is None:
        raise RuleViolation(ErrorCode.UNKNOWN_GOAL, f"no objective {command.aggregate_id!r}")
    match command:
        case AddKeyResult():
            rules.require_open(state.status)
            if state.key_result(command.key_result_id) is not None:
                raise RuleViolation(
                    ErrorCode.KEY_RESULT_EXISTS, f"key result {command.key_result_id!r} exists"
                )
            if len(state.key_results) >= MAX_KEY_RESULTS:
                raise RuleViolation(
                    ErrorCode.TOO_MANY_KEY_RESULTS,
                    f"an objective has at most {MAX_KEY_RESULTS} key results",
                )
            rules.require_reachable(command.terms.metric)
            return [
                KeyResultAdded(
                    key_result_id=command.key_result_id, terms=command.terms, owner=command.owner
                )
            ]
        case ActivateObjective():
            rules.require_open(state.status)
            if state.status is GoalStatus.ACTIVE:
                raise RuleViolation(ErrorCode.ALREADY_ACTIVE, "the objective is active")
            count = len(state.key_results)
            flags = (FEWER_THAN_TWO,) if count < MIN_KEY_RESULTS else ()
            return [ObjectiveActivated(key_result_count=count, flags=flags)]
        case AdjustKeyResult():
            rules.require_open(state.status)
            if command.metric is not None:
                rules.require_reachable(command.metric)
            return [_adjust(state, command, facts)]
        case GoalCommand():
            return decide_goal_command(state, command, facts, _metric_of(state))
    raise RuleViolation(ErrorCode.UNKNOWN_COMMAND, f"{command.name} is not for objectives")


def _metric_of(state: ObjectiveState) -> MetricOf:
    def metric_of(key_result_id: str | None) -> Metric:
        if key_result_id is None:
            raise RuleViolation(
                ErrorCode.KEY_RESULT_REQUIRED,
                "name the key result (key_result_id) of the objective",
            )
        kr = state.key_result(key_result_id)
        if kr is None:
            raise RuleViolation(ErrorCode.UNKNOWN_KEY_RESULT, f"no key result {key_result_id!r}")
        return kr.terms.metric

    return metric_of


def evolve_objective(state: ObjectiveState | None, event: EventPayload) -> ObjectiveState:
    """The objective after ``event``."""
    if isinstance(event, ObjectiveCreated):
        return ObjectiveState(
            title=event.title,
            level=event.level,
            owner=event.owner,
            cycle=event.cycle,
            commitment=event.commitment,
        )
    if state is None:
        raise ValueError(f"{event.event_type} before objective.created")
    match event:
        case KeyResultAdded():
            kr = KeyResultState(terms=event.terms, owner=event.owner)
            return replace(state, key_results=(*state.key_results, (event.key_result_id, kr)))
        case KeyResultAdjusted():
            krs = tuple(
                (kr_id, replace(kr, terms=event.after) if kr_id == event.key_result_id else kr)
                for kr_id, kr in state.key_results
            )
            return replace(state, key_results=krs)
        case ObjectiveActivated():
            return replace(state, status=GoalStatus.ACTIVE)
    return evolve_goal_event(state, event)
