"""The shape of an aggregate's rules: decide, evolve, and the state before any event."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from events.envelope import EventPayload
from events.values import AggregateType
from services.domain.commands import Command
from services.domain.facts import DecisionFacts

S = TypeVar("S")
Decide = Callable[[Any, Command, DecisionFacts], list[EventPayload]]
Evolve = Callable[[Any, EventPayload], Any]


@dataclass(frozen=True)
class Decider(Generic[S]):
    """One aggregate's rules: what a command yields on a state, and how an event moves it.

    Every aggregate starts from None: it exists from its first event.
    """

    aggregate_type: AggregateType
    decide: Callable[[S | None, Command, DecisionFacts], list[EventPayload]]
    evolve: Callable[[S | None, EventPayload], S]

    def fold(self, events: Iterable[EventPayload]) -> S | None:
        """The state ``events`` build from nothing."""
        state: S | None = None
        for event in events:
            state = self.evolve(state, event)
        return state
