"""The pure domain core: deciders and evolvers per aggregate. No I/O, no clock."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from events.envelope import EventPayload
from events.objectives import ObjectiveCreated
from events.smart_goals import SmartGoalCreated
from events.values import AggregateType
from services.domain.commands import Command
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

Decide = Callable[[Any, Any, DecisionFacts], list[EventPayload]]
Evolve = Callable[[Any, EventPayload], Any]

DECIDERS: Mapping[str, Decide] = {
    AggregateType.OBJECTIVE.value: decide_objective,
    AggregateType.SMART_GOAL.value: decide_smart_goal,
}
EVOLVERS: Mapping[str, Evolve] = {
    AggregateType.OBJECTIVE.value: evolve_objective,
    AggregateType.SMART_GOAL.value: evolve_smart_goal,
}


def decide(
    state: GoalState | None, command: Command, facts: DecisionFacts = NO_FACTS
) -> list[EventPayload]:
    """The events ``command`` yields on ``state``, by the aggregate the command addresses."""
    return DECIDERS[command.target_type.value](state, command, facts)


def evolve_all(events: Iterable[EventPayload]) -> GoalState | None:
    """Fold a goal's history, which starts with its creation event; None when empty."""
    evolve: Evolve | None = None
    state: Any = None
    for event in events:
        if evolve is None:
            evolve = _evolver_for(event)
        state = evolve(state, event)
    return state  # type: ignore[no-any-return]


def objective_from(events: Iterable[EventPayload]) -> ObjectiveState | None:
    """Fold an objective's history; None when empty."""
    state: ObjectiveState | None = None
    for event in events:
        state = evolve_objective(state, event)
    return state


def smart_goal_from(events: Iterable[EventPayload]) -> SmartGoalState | None:
    """Fold a SMART goal's history; None when empty."""
    state: SmartGoalState | None = None
    for event in events:
        state = evolve_smart_goal(state, event)
    return state


def _evolver_for(first: EventPayload) -> Evolve:
    if isinstance(first, ObjectiveCreated):
        return evolve_objective
    if isinstance(first, SmartGoalCreated):
        return evolve_smart_goal
    raise ValueError(f"a goal's history starts with its creation, not {first.event_type}")


__all__ = [
    "DECIDERS",
    "EVOLVERS",
    "NO_FACTS",
    "Decide",
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
