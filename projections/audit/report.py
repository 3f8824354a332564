"""The audit report of one cycle: what the data says, for machines (JSON) and people."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from projections.audit.policy_changes import PolicyChangeAudit
from projections.read_models.adjustments import AdjustmentEntry
from projections.views import CascadeNode, ForecastView


class Part(BaseModel):
    """Base of the report's parts: immutable."""

    model_config = ConfigDict(frozen=True)


class ScorePoint(Part):
    """A goal's or KR's value and score right after one check-in or report."""

    stream_sequence: int
    kind: Literal["check_in", "progress"]
    valid_at: datetime = Field(description="valid time: when the value held in the world")
    occurred_at: datetime = Field(description="the sender's business time when it sent it")
    recorded_at: datetime = Field(description="transaction time: when the service stored it")
    actor: str
    source: str | None = Field(default=None, description="integration reports: the integration")
    idempotency_key: str | None = Field(default=None, description="integration reports' key")
    value: float
    confidence: float | None
    target_in_force: float = Field(description="the target in force at the entry's valid time")
    score: float = Field(description="score under the terms in force then")
    late: bool = Field(description="a report recorded over two days after it observed")
    back_dated: bool = Field(description="a check-in dated over two days before it was sent")
    superseded: bool = Field(description="a value of later valid time was already known")


class KeyResultAudit(Part):
    """A key result: its state as of the instant and how it got there."""

    key_result_id: str
    title: str
    metric_kind: str
    unit: str
    baseline: float
    target: float = Field(description="the target in force at the instant")
    original_target: float = Field(description="the target when the KR was added")
    final_value: float | None
    final_score: float
    final_score_under_original_target: float
    history: tuple[ScorePoint, ...]
    adjustments: tuple[AdjustmentEntry, ...]
    forecast: ForecastView | None = Field(
        default=None,
        description="where the KR lands at the cycle's end if the trend of its entries valid "
        "by as_of holds (as the score route shows it); null with fewer than two",
    )


class CarryOver(Part):
    """A goal moved from one cycle to the next: listed in both, linked."""

    from_cycle: str
    to_cycle: str
    valid_at: datetime
    recorded_at: datetime
    actor: str
    reason: str | None


class Closure(Part):
    """How and when a goal was closed."""

    closed_at: datetime = Field(description="valid time of the close")
    recorded_at: datetime
    actor: str
    grade: float | None
    note: str


class GoalAudit(Part):
    """An objective (with its KRs) or a SMART goal, as of the instant."""

    goal_type: Literal["objective", "smart_goal"]
    goal_id: str
    title: str
    level: str
    owner: str
    cycle_id: str = Field(description="the cycle the goal is in at the instant")
    status: str
    expectation: float
    final_score: float | None
    met: bool = Field(description="score at or above the expectation (false: nothing to score)")
    band: Literal["red", "yellow", "green"] | None = Field(description="null: nothing to score")
    pace: str | None = Field(description="null: nothing to score")
    expected_progress: float
    confidence: float | None
    deadline: date | None = None
    outcome: str | None = Field(default=None, description="SMART goals: passed/failed/pending")
    metric_kind: str | None = Field(default=None, description="SMART goals' own metric")
    unit: str | None = None
    baseline: float | None = None
    target: float | None = None
    key_results: tuple[KeyResultAudit, ...] = ()
    history: tuple[ScorePoint, ...] = Field(default=(), description="SMART goals' own history")
    carried_over: CarryOver | None = None
    closed: Closure | None = None


class SkippedEvent(Part):
    """An event of the tenant the replay could not decode, apply or write: passed over."""

    stream_sequence: int
    subject: str
    event_id: str | None
    event_type: str | None
    error: str


class AuditReport(Part):
    """What the event log says about one tenant's cycle: valid as of one instant, as
    recorded by another."""

    tenant_id: str
    cycle_id: str
    cycle_starts_on: date
    cycle_ends_on: date
    as_of: datetime = Field(description="valid time: the facts that applied by then")
    known_at: datetime = Field(description="transaction time: as the service knew them then")
    events_considered: int
    last_stream_sequence: int
    source_digest: str = Field(description="sha256 over the ids and hashes of those events")
    goals: tuple[GoalAudit, ...]
    cascade: tuple[CascadeNode, ...] = Field(
        default=(), description="one tree per company objective, rolled-up scores at as_of"
    )
    policy_changes: tuple[PolicyChangeAudit, ...] = Field(
        default=(),
        description="each change of the tenant's scoring policy in view, with the cycle's "
        "goal scores just before and after it",
    )
    skipped_events: tuple[SkippedEvent, ...] = Field(
        default=(),
        description="events the replay passed over, each with why: the report rests on the others",
    )
