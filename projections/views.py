"""Shapes of the read side's answers (what the query API returns)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class View(BaseModel):
    """Base of every answer: immutable, documented fields."""

    model_config = ConfigDict(frozen=True)


class ForecastView(View):
    """Where a key result is likely to land at its cycle's end if its trend holds."""

    at: datetime = Field(description="the cycle's end: the instant the trend is read at")
    value: float = Field(description="the fitted value at the cycle's end")
    value_low: float = Field(description="the band's lower edge, in the metric's unit")
    value_high: float
    score: float = Field(description="the score of the fitted value")
    low: float = Field(description="the score band's lower edge")
    high: float = Field(description="the score band's upper edge")
    observations: int = Field(description="check-ins and reports valid by as_of it rests on")
    method: Literal["least_squares"] = Field(
        description="least squares on valid time, band of one standard error (docs/scoring.md)"
    )
    sentence: str = Field(description="e.g. likely to land at 0.55 (0.42\u20130.68)")


class KeyResultScore(View):
    """A key result's terms, latest observation and score."""

    key_result_id: str
    title: str
    weight: float
    metric: dict[str, Any]
    value: float | None
    value_at: datetime | None
    confidence: float | None
    score: float = Field(description="0..1 (above 1 only when over-achievement is uncapped)")
    band: Literal["red", "yellow", "green"]
    forecast: ForecastView | None = Field(
        default=None, description="null with fewer than two observations valid by as_of"
    )


class GoalScore(View):
    """An objective or SMART goal with its score as of an instant."""

    tenant_id: str
    goal_type: Literal["objective", "smart_goal"]
    goal_id: str
    title: str
    level: str
    owner: str
    cycle_id: str
    cycle_starts_on: date
    cycle_ends_on: date
    commitment: str | None
    status: str
    version: int
    score: float | None
    percent_complete: float | None = Field(description="SMART goals: score as 0..100")
    outcome: str | None = Field(description="SMART goals: pending, passed or failed")
    deadline: date | None
    confidence: float | None
    expectation: float = Field(
        description="the score that counts as success under the tenant's scoring policy "
        "(by default 1.0 committed OKRs and SMART goals, 0.7 aspirational)"
    )
    meets_expectation: bool | None = Field(
        description="score >= expectation; null while there is nothing to score"
    )
    expected_progress: float = Field(description="linear share of the cycle elapsed at as_of")
    pace: Literal["on_track", "at_risk", "off_track"] | None = Field(
        description="null while there is nothing to score"
    )
    band: Literal["red", "yellow", "green"] | None = Field(
        description="null while there is nothing to score"
    )
    as_of: datetime
    key_results: tuple[KeyResultScore, ...] = ()


class CascadeNode(View):
    """A goal in the cascade with its own and its rolled-up score."""

    goal: GoalScore
    aligned_to_key_result: str | None = Field(description="the parent's KR this node serves")
    rolled_up_score: float | None
    children: tuple[CascadeNode, ...] = ()


class PathStep(View):
    """One step from a goal up to the top of the cascade."""

    goal_type: str
    goal_id: str
    title: str
    level: str
    via_key_result: str | None


class ParkedState(View):
    """Why a tenant's read models stopped: the event they could not take, and since when."""

    first_sequence: int = Field(description="the tenant's first event not applied yet")
    failed_sequence: int = Field(description="the event that failed")
    subject: str
    event_id: str | None = Field(description="if the event could be read that far")
    event_type: str | None
    error: str
    parked_at: datetime
    resume_requested_at: datetime | None = Field(
        description="set by `okr projections resume` until the projector has tried"
    )


class PartitionLag(View):
    """One partition of the read models: who writes it and how far it has got."""

    partition: int = Field(description="0 .. partitions - 1; a tenant's is crc32(tenant) mod it")
    owner: str | None = Field(description="the worker id holding it now; null: nobody")
    checkpoint: int = Field(description="the last stream sequence applied to it")
    lag: int = Field(description="stream head minus the checkpoint")
    updated_at: datetime = Field(description="when its checkpoint last moved")


class ProjectionLag(View):
    """How far the read models are behind the event log."""

    projection: str
    checkpoint: int = Field(description="the slowest partition's checkpoint")
    stream_head: int
    lag: int = Field(description="stream head minus the slowest partition's checkpoint")
    parked: ParkedState | None = Field(
        default=None,
        description="the caller's tenant, if an event it could not apply parked it: its "
        "later events wait for `okr projections resume`, other tenants' go on",
    )
    parked_tenants: int = Field(default=0, description="how many tenants are parked in all")
    partitions: tuple[PartitionLag, ...] = Field(
        default=(), description="each partition: its owner, checkpoint and lag"
    )


class TenantLag(View):
    """Whether the read models have applied the caller's own tenant's events (no other
    tenant's counts: the stream-wide view is for the deployment's operators)."""

    projection: str
    tenant: str
    caught_up: bool = Field(description="every event of the tenant stored so far is applied")
    parked: ParkedState | None = Field(
        default=None,
        description="set if an event the read models could not apply parked the tenant: its "
        "later events wait for `okr projections resume`",
    )
