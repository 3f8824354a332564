"""What the rhythm and hygiene rules know of a goal: read-model facts, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from events.cadence import CadenceTerms
from events.values import Metric, MetricKind


@dataclass(frozen=True)
class KeyResultFacts:
    """A key result's title and how it is measured."""

    key_result_id: str
    title: str
    kind: MetricKind


@dataclass(frozen=True)
class GoalFacts:
    """One goal as the read models hold it, with the cadence in force for it."""

    tenant_id: str
    goal_type: str
    goal_id: str
    title: str
    level: str
    owner: str
    team: str | None
    cycle_id: str
    cycle_starts_on: date
    cycle_ends_on: date
    status: str
    created_at: datetime
    cadence: CadenceTerms
    last_check_in_at: datetime | None = None
    metric: Metric | None = None
    personal: bool = False
    aligned: bool = False
    key_results: tuple[KeyResultFacts, ...] = field(default=())

    @property
    def cycle_ends_at(self) -> datetime:
        """First instant after the goal's cycle."""
        return datetime.combine(self.cycle_ends_on + timedelta(days=1), time.min, tzinfo=UTC)

    @property
    def rhythm_starts_at(self) -> datetime:
        """Where the cadence counts from before any check-in: the later of the goal's
        creation and its cycle's start."""
        starts = datetime.combine(self.cycle_starts_on, time.min, tzinfo=UTC)
        return max(starts, self.created_at)

    @property
    def last_touch(self) -> datetime:
        """The latest check-in, else where the cadence counts from."""
        return self.last_check_in_at or self.rhythm_starts_at
