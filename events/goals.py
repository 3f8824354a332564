"""Events both objectives and SMART goals record: alignment, progress and lifecycle."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime, Field

from events.envelope import EventPayload
from events.personal import personal
from events.values import AggregateType, Confidence, Cycle, FiniteFloat, ParentRef, Token

_BOTH = (AggregateType.OBJECTIVE, AggregateType.SMART_GOAL)


class GoalAligned(EventPayload):
    """The goal now contributes to a parent objective or key result."""

    event_type: ClassVar[str] = "goal.aligned"
    schema_version: ClassVar[int] = 1
    aggregate_types = _BOTH

    parent: ParentRef


class GoalUnaligned(EventPayload):
    """The goal no longer contributes to a parent (v2: personal fields sealed)."""

    event_type: ClassVar[str] = "goal.unaligned"
    schema_version: ClassVar[int] = 2
    aggregate_types = _BOTH

    parent: ParentRef
    reason: str | None = personal(default=None, max_length=2000)


class CheckInRecorded(EventPayload):
    """A person's check-in: the value as of ``applies_at`` and their confidence.

    Schema v2 added ``applies_at``; v1 events are upcast with their occurred-at. Schema v3
    stores its personal fields sealed; v2 is read as it is.
    """

    event_type: ClassVar[str] = "check_in.recorded"
    schema_version: ClassVar[int] = 3
    aggregate_types = _BOTH

    key_result_id: Token | None = Field(description="the KR; null for a SMART goal")
    value: FiniteFloat
    confidence: Confidence
    note: str = personal(default="", max_length=5000)
    applies_at: AwareDatetime = Field(description="the instant the value held")


class ProgressReported(EventPayload):
    """An integration (Jira, CRM, pipeline) observed a value."""

    event_type: ClassVar[str] = "progress.reported"
    schema_version: ClassVar[int] = 1
    aggregate_types = _BOTH

    key_result_id: Token | None = Field(description="the KR; null for a SMART goal")
    source: Token = Field(description="the integration, e.g. 'jira'")
    idempotency_key: str = Field(min_length=1, max_length=200)
    value: FiniteFloat
    observed_at: AwareDatetime


class GoalClosed(EventPayload):
    """The goal was closed at the end of its cycle, optionally with a grade (v2: sealed)."""

    event_type: ClassVar[str] = "goal.closed"
    schema_version: ClassVar[int] = 2
    aggregate_types = _BOTH

    grade: float | None = Field(default=None, ge=0.0, le=1.0, description="owner's grade")
    note: str = personal(default="", max_length=5000)


class GoalCarriedOver(EventPayload):
    """The unfinished goal continues, unchanged, into a later cycle (v2: sealed)."""

    event_type: ClassVar[str] = "goal.carried_over"
    schema_version: ClassVar[int] = 2
    aggregate_types = _BOTH

    from_cycle: Cycle
    to_cycle: Cycle
    reason: str | None = personal(default=None, max_length=2000)


class GoalArchived(EventPayload):
    """The goal was archived; it accepts nothing more (v2: personal fields sealed)."""

    event_type: ClassVar[str] = "goal.archived"
    schema_version: ClassVar[int] = 2
    aggregate_types = _BOTH

    reason: str | None = personal(default=None, max_length=2000)
