"""Events of the objective aggregate: an objective and its key results."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from events.envelope import EventPayload
from events.personal import personal, personal_when_individual
from events.values import AggregateType, Commitment, Cycle, Frozen, Level, Metric, Token

_OBJECTIVE = (AggregateType.OBJECTIVE,)


class ObjectiveCreated(EventPayload):
    """An objective was drafted for a cycle.

    Schema v2 stores its personal fields sealed (docs/privacy.md); v1 is read as it is.
    """

    event_type: ClassVar[str] = "objective.created"
    schema_version: ClassVar[int] = 2
    aggregate_types = _OBJECTIVE

    title: str = personal_when_individual(min_length=1, max_length=300)
    description: str = personal(default="", max_length=5000)
    level: Level
    owner: str = Field(min_length=1, max_length=200, description="person or team accountable")
    team: str | None = Field(default=None, max_length=200)
    cycle: Cycle
    commitment: Commitment


class ObjectiveActivated(EventPayload):
    """The objective's key results were set and it went live; flags warn, they don't block."""

    event_type: ClassVar[str] = "objective.activated"
    schema_version: ClassVar[int] = 1
    aggregate_types = _OBJECTIVE

    key_result_count: int = Field(ge=0)
    flags: tuple[str, ...] = Field(default=(), description="e.g. 'fewer_than_two_key_results'")


class KeyResultTerms(Frozen):
    """What a key result promises: everything a mid-cycle adjustment may change."""

    title: str = personal_when_individual(min_length=1, max_length=300)
    metric: Metric
    weight: float = Field(gt=0.0, le=100.0, description="relative weight in the roll-up")


class KeyResultAdded(EventPayload):
    """A measurable key result was added to the objective (v2: personal fields sealed)."""

    event_type: ClassVar[str] = "key_result.added"
    schema_version: ClassVar[int] = 2
    aggregate_types = _OBJECTIVE

    key_result_id: Token
    terms: KeyResultTerms
    owner: str | None = Field(default=None, max_length=200)


class KeyResultAdjusted(EventPayload):
    """A key result's terms changed; after the cycle started this is a mid-cycle adjustment.

    Schema v2 stores its personal fields sealed; v1 is read as it is.
    """

    event_type: ClassVar[str] = "key_result.adjusted"
    schema_version: ClassVar[int] = 2
    aggregate_types = _OBJECTIVE

    key_result_id: Token
    before: KeyResultTerms
    after: KeyResultTerms
    changed_fields: tuple[str, ...] = Field(description="e.g. ('metric.target', 'weight')")
    mid_cycle: bool = Field(description="true when made after the cycle started")
    reason: str | None = personal(default=None, max_length=2000)
