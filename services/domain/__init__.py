"""The pure domain core: one Decider per aggregate. No I/O, no clock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from events.envelope import EventPayload
from events.objectives import ObjectiveCreated
from events.smart_goals import SmartGoalCreated
from events.values import AggregateType
from services.domain.commands import Command
from services.domain.decider import Decide, Decider, Evolve
from services.domain.facts import NO_FACTS, DecisionFacts, ParentFacts
from services.domain.objective import decide_objective, evolve_objective
from services.domain.smart_goal import decide_smart_goal, evolve_smart_goal
from services.domain.state import (
    GoalState,
    GoalStatus,
    KeyResultState,
    ObjectiveState,
    SmartGoalState,
)
from services.domain.tenant_settings import TENANT_SETTING

OBJECTIVE: Decider[ObjectiveState] = Decider(
    AggregateType.OBJECTIVE, decide_objective, evolve_objective
)
SMART_GOAL: Decider[SmartGoalState] = Decider(
    AggregateType.SMART_GOAL, decide_smart_goal, evolve_smart_goal
)
DECIDERS: Mapping[str, Decider[Any]] = {
    decider.aggregate_type.value: decider for decider in (OBJECTIVE, SMART_GOAL, TENANT_SETTING)
}


def decide(
    state: GoalState | None, command: Command, facts: DecisionFacts = NO_FACTS
) -> list[EventPayload]:
    """The events ``command`` yields on ``state``, by the aggregate the command addresses."""
    return DECIDERS[command.target_type.value].decide(state, command, facts)


def evolve_all(events: Iterable[EventPayload]) -> GoalState | None:
    """Fold a goal's history, which starts with its creation event; None when empty."""
    history = list(events)
    if not history:
        return None
    return _decider_for(history[0]).fold(history)


def objective_from(events: Iterable[EventPayload]) -> ObjectiveState | None:
    """Fold an objective's history; None when empty."""
    return OBJECTIVE.fold(events)


def smart_goal_from(events: Iterable[EventPayload]) -> SmartGoalState | None:
    """Fold a SMART goal's history; None when empty."""
    return SMART_GOAL.fold(events)


def _decider_for(first: EventPayload) -> Decider[Any]:
    if isinstance(first, ObjectiveCreated):
        return OBJECTIVE
    if isinstance(first, SmartGoalCreated):
        return SMART_GOAL
    raise ValueError(f"a goal's history starts with its creation, not {first.event_type}")


__all__ = [
    "DECIDERS",
    "NO_FACTS",
    "OBJECTIVE",
    "SMART_GOAL",
    "TENANT_SETTING",
    "Decide",
    "Decider",
    "DecisionFacts",
    "Evolve",
    "GoalState",
    "GoalStatus",
    "KeyResultState",
    "ObjectiveState",
    "ParentFacts",
    "SmartGoalState",
    "decide",
    "decide_objective",
    "decide_smart_goal",
    "evolve_all",
    "evolve_objective",
    "evolve_smart_goal",
    "objective_from",
    "smart_goal_from",
]
