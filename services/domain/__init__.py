"""The pure domain core: deciders and evolvers per aggregate. No I/O, no clock."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from events.envelope import EventPayload
from events.values import AggregateType
from services.domain.facts import DecisionFacts
from services.domain.objective import decide_objective, evolve_objective
from services.domain.smart_goal import decide_smart_goal, evolve_smart_goal

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

__all__ = [
    "DECIDERS",
    "EVOLVERS",
    "decide_objective",
    "decide_smart_goal",
    "evolve_objective",
    "evolve_smart_goal",
]
