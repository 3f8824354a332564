"""The two time axes of an audit question: valid time and transaction time (pure).

Valid time is when a fact applies in the world: a check-in's ``applies_at``, an
integration report's ``observed_at``, and for every other event the business time its
sender gave (``occurred_at``, the command's ``meta.now``). Transaction time is when the
service recorded it (``recorded_at``). "As of D, known at T" selects the facts valid by D
among those recorded by T.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from events.envelope import Envelope
from events.goals import CheckInRecorded, ProgressReported

# An entry whose two times lie further apart than this is flagged (see the report's legend).
FLAG_AFTER = timedelta(days=2)
Basis = Literal["occurred", "recorded"]  # the single-axis names earlier versions took


@dataclass(frozen=True)
class TimeAxes:
    """An instant on each axis: ``as_of`` (valid time) and ``known_at`` (transaction time)."""

    as_of: datetime
    known_at: datetime

    @classmethod
    def asked(
        cls,
        now: datetime,
        as_of: datetime | None = None,
        known_at: datetime | None = None,
        basis: Basis | None = None,
    ) -> TimeAxes:
        """The axes of a question; each instant defaults to ``now``.

        ``basis`` is the older single-axis question, kept as an alias: ``recorded`` is
        what the service knew at ``as_of`` (known at = as of), ``occurred`` what had
        happened by then as known now. It names ``known_at`` itself: not both.
        """
        valid = as_of or now
        if basis is None:
            return cls(valid, known_at or now)
        if known_at is not None:
            raise ValueError("basis is an alias of known_at: give one of them, not both")
        return cls(valid, valid if basis == "recorded" else max(valid, now))


def valid_time(envelope: Envelope) -> datetime:
    """When the event's fact applies in the world."""
    match envelope.payload:
        case CheckInRecorded(applies_at=at):
            return at
        case ProgressReported(observed_at=at):
            return at
        case _:
            return envelope.occurred_at


def in_view(envelope: Envelope, axes: TimeAxes) -> bool:
    """Whether the event is a fact valid by ``as_of`` that was recorded by ``known_at``."""
    return envelope.recorded_at <= axes.known_at and valid_time(envelope) <= axes.as_of


def back_dated(envelope: Envelope) -> bool:
    """A check-in its sender dated well before the moment it sent it."""
    payload = envelope.payload
    return isinstance(payload, CheckInRecorded) and (
        envelope.occurred_at - payload.applies_at > FLAG_AFTER
    )


def late(envelope: Envelope) -> bool:
    """An integration's report the service recorded well after the instant it observed."""
    payload = envelope.payload
    return isinstance(payload, ProgressReported) and (
        envelope.recorded_at - payload.observed_at > FLAG_AFTER
    )


# Far enough ahead that "as of, and known at, the end of time" selects everything stored.
END_OF_TIME = datetime.fromisoformat("9999-01-01T00:00:00+00:00")
EVERYTHING = TimeAxes(END_OF_TIME, END_OF_TIME)
