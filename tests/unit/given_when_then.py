"""Decider specifications read as given(events).when(command).then(events)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from events.envelope import EventPayload
from services.domain import DECIDERS
from services.domain.commands import Command
from services.domain.errors import ErrorCode, RuleViolation, Violation
from services.domain.facts import NO_FACTS, DecisionFacts


@dataclass(frozen=True)
class When:
    """The outcome of deciding a command on the state the given events built."""

    decide: Callable[[], list[EventPayload]]

    def then(self, *expected: EventPayload) -> None:
        """The command yields exactly these events."""
        assert self.decide() == list(expected)

    def then_types(self, *event_types: str) -> list[EventPayload]:
        """The command yields events of these types (for events with derived fields)."""
        events = self.decide()
        assert [e.event_type for e in events] == list(event_types)
        return events

    def then_nothing(self) -> None:
        """The command is accepted but changes nothing."""
        assert self.decide() == []

    def then_rejects(self, code: ErrorCode) -> tuple[Violation, ...]:
        """The command is refused with ``code``; returns the violations for more checks."""
        with pytest.raises(RuleViolation) as refused:
            self.decide()
        assert refused.value.code == code, refused.value.message
        return refused.value.violations


@dataclass(frozen=True)
class Given:
    """An aggregate's history."""

    events: Sequence[EventPayload]

    def state(self, aggregate_type: str) -> Any:
        """Fold the events into the aggregate's state."""
        return DECIDERS[aggregate_type].fold(self.events)

    def when(self, command: Command, facts: DecisionFacts = NO_FACTS) -> When:
        """Decide ``command`` on that history."""
        kind = command.target_type.value
        return When(lambda: DECIDERS[kind].decide(self.state(kind), command, facts))


def given(*events: EventPayload) -> Given:
    """Start a specification from these past events (none: the aggregate is new)."""
    return Given(events)
