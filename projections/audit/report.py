"""The audit report of one cycle: what the data says, for machines (JSON) and people."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from projections.audit.policy_changes import PolicyChangeAudit
from projections.read_models.adjustments import AdjustmentEntry


class Part(BaseModel):
    """Base of the report's parts: immutable."""

    model_config = ConfigDict(frozen=True)


class ScorePoint(Part):
    """A goal's or KR's value and score right after one check-in or report."""

    stream_sequence: int
    kind: Literal["check_in", "progress"]
    applies_at: datetime = Field(description="when the value held")
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    value: float
    confidence: float | None
    target_in_force: float = Field(description="the target when this entry was recorded")
    score: float = Field(description="score under the terms in force at that time")
    late: bool = Field(description="recorded long after the instant it applies to")
    superseded: bool = Field(description="a newer observation was already known")


class KeyResultAudit(Part):
    """A key result: its final state and how it got there."""

    key_result_id: str
    title: str
    unit: str
    baseline: float
    target: float = Field(description="the target in force at the end")
    original_target: float = Field(description="the target when the KR was added")
    final_value: float | None
    final_score: float
    final_score_under_original_target: float
    history: tuple[ScorePoint, ...]
    adjustments: tuple[AdjustmentEntry, ...]


class GoalAudit(Part):
    """An objective (with its KRs) or a SMART goal."""

    goal_type: Literal["objective", "smart_goal"]
    goal_id: str
    title: str
    level: str
    owner: str
    status: str
    expectation: float
    final_score: float | None
    band: Literal["red", "yellow", "green"] | None = Field(description="null: nothing to score")
    deadline: date | None = None
    outcome: str | None = Field(default=None, description="SMART goals: passed/failed/pending")
    key_results: tuple[KeyResultAudit, ...] = ()
    history: tuple[ScorePoint, ...] = Field(default=(), description="SMART goals' own history")


class SkippedEvent(Part):
    """An event of the tenant the replay could not decode, apply or write: passed over."""

    stream_sequence: int
    subject: str
    event_id: str | None
    event_type: str | None
    error: str


class AuditReport(Part):
    """What the event log says about one tenant's cycle, as of an instant."""

    tenant_id: str
    cycle_id: str
    cycle_starts_on: date
    cycle_ends_on: date
    as_of: datetime
    basis: Literal["occurred", "recorded"] = Field(
        description="occurred: what had happened by as_of; recorded: what the system knew"
    )
    events_considered: int
    last_stream_sequence: int
    source_digest: str = Field(description="sha256 over the ids and hashes of those events")
    goals: tuple[GoalAudit, ...]
    policy_changes: tuple[PolicyChangeAudit, ...] = Field(
        default=(),
        description="each change of the tenant's scoring policy by as_of, with the cycle's "
        "goal scores just before and after it",
    )
    skipped_events: tuple[SkippedEvent, ...] = Field(
        default=(),
        description="events the replay passed over, each with why: the report rests on the others",
    )
