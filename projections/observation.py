"""A check-in or an integration report as the projection folds it: only what it reads.

Nine events in ten are one of these two. ``lean_decode`` reads them straight from their
stored bytes into this; one decoded in full (an older version, upcast) is turned into
the same by ``observation_of``, so both are folded by one code path (``apply``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from events.envelope import StoredEvent
from events.goals import CheckInRecorded, ProgressReported

Kind = Literal["check_in", "progress"]


@dataclass(slots=True)
class Observation:
    """The fields of one observation event that the read models are built from."""

    stream_sequence: int
    subject: str
    event_id: UUID
    event_type: str
    tenant_id: str
    goal_type: str
    goal_id: str
    aggregate_version: int
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    kind: Kind
    key_result_id: str | None
    value: float
    confidence: float | None
    note: str
    source: str | None
    idempotency_key: str | None
    at: datetime  # when the value held: a check-in's applies_at, a report's observed_at


def observation_of(stored: StoredEvent) -> Observation | None:
    """The observation a fully decoded event records; None for any other event."""
    e, p = stored.envelope, stored.envelope.payload
    head = (
        stored.stream_sequence,
        stored.subject,
        e.event_id,
        e.event_type,
        e.tenant_id,
        e.aggregate_type.value,
        e.aggregate_id,
        e.aggregate_version,
        e.occurred_at,
        e.recorded_at,
        e.actor,
    )
    if isinstance(p, CheckInRecorded):
        kr, value, note, at = p.key_result_id, p.value, p.note, p.applies_at
        return Observation(*head, "check_in", kr, value, p.confidence, note, None, None, at)
    if isinstance(p, ProgressReported):
        kr, value, key, at = p.key_result_id, p.value, p.idempotency_key, p.observed_at
        return Observation(*head, "progress", kr, value, None, "", p.source, key, at)
    return None
