"""Value types shared by event payloads and commands."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from events.subjects import TOKEN_PATTERN


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number (no NaN or infinity)")
    return value


Token = Annotated[str, Field(pattern=TOKEN_PATTERN, description="A subject token: [a-z0-9_-]")]
FiniteFloat = Annotated[float, AfterValidator(_finite)]
Confidence = Annotated[float, Field(ge=0.0, le=1.0, description="0 = no chance, 1 = certain")]


class Frozen(BaseModel):
    """Base of every contract model: immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Level(StrEnum):
    """Where a goal sits in the cascade."""

    COMPANY = "company"
    TEAM = "team"
    INDIVIDUAL = "individual"

    @property
    def rank(self) -> int:
        """0 for company, 1 for team, 2 for individual."""
        return list(Level).index(self)


class Commitment(StrEnum):
    """Committed OKRs expect 1.0; aspirational (stretch) ones count 0.7 as success."""

    COMMITTED = "committed"
    ASPIRATIONAL = "aspirational"


class MetricKind(StrEnum):
    """What a key result or SMART goal measures."""

    NUMERIC = "numeric"
    PERCENTAGE = "percentage"
    CURRENCY = "currency"
    BINARY = "binary"
    MILESTONE = "milestone"


class Direction(StrEnum):
    """Which values count as progress."""

    INCREASE = "increase"
    DECREASE = "decrease"
    KEEP_ABOVE = "keep_above"
    KEEP_BELOW = "keep_below"
    RANGE = "range"


class AggregateType(StrEnum):
    """The kinds of aggregate whose events the stream keeps."""

    OBJECTIVE = "objective"
    SMART_GOAL = "smart_goal"
    # One aggregate per tenant and setting (its id names the setting, events/subjects.py):
    # a tenant's configuration is a fact in the log like any goal's.
    TENANT_SETTING = "tenant_setting"


GoalType = Literal[AggregateType.OBJECTIVE, AggregateType.SMART_GOAL]
"""The aggregate types that are goals: what a goal command or a progress report names."""


_CYCLE_ID = re.compile(r"^(\d{4})-q([1-4])$")


class Cycle(Frozen):
    """A goal cycle, usually a quarter; both dates are inclusive and UTC."""

    id: Token = Field(description="e.g. 2026-q4")
    starts_on: date
    ends_on: date

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.ends_on < self.starts_on:
            raise ValueError("a cycle cannot end before it starts")
        return self

    @classmethod
    def quarter(cls, cycle_id: str) -> Cycle:
        """The calendar quarter named like ``2026-q4``."""
        match = _CYCLE_ID.fullmatch(cycle_id.lower())
        if match is None:
            raise ValueError(f"{cycle_id!r} is not a calendar quarter like 2026-q4")
        year, quarter = int(match[1]), int(match[2])
        starts = date(year, 3 * quarter - 2, 1)
        next_start = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
        return cls(id=cycle_id.lower(), starts_on=starts, ends_on=next_start - timedelta(days=1))

    @property
    def starts_at(self) -> datetime:
        """First instant of the cycle."""
        return datetime.combine(self.starts_on, time.min, tzinfo=UTC)

    @property
    def ends_at(self) -> datetime:
        """First instant after the cycle."""
        return datetime.combine(self.ends_on + timedelta(days=1), time.min, tzinfo=UTC)

    def has_started(self, instant: datetime) -> bool:
        """True once ``instant`` is at or after the cycle's first instant."""
        return instant >= self.starts_at

    def contains(self, instant: datetime) -> bool:
        """True when ``instant`` falls inside the cycle."""
        return self.starts_at <= instant < self.ends_at


class Metric(Frozen):
    """How progress is measured: kind, unit, baseline, target and direction.

    ``target`` is the goal value; for ``range`` the acceptable band is
    ``target``..``target_max``. Binary metrics measure 0 → 1; milestone metrics count
    reached milestones from 0 to ``len(milestones)``.
    """

    kind: MetricKind
    direction: Direction = Direction.INCREASE
    unit: str = Field(default="", max_length=32, description="e.g. '%', 'EUR', 'signups'")
    baseline: FiniteFloat = 0.0
    target: FiniteFloat
    target_max: FiniteFloat | None = Field(default=None, description="upper bound for 'range'")
    milestones: tuple[str, ...] = Field(default=(), description="ordered, for 'milestone'")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.direction is Direction.RANGE:
            if self.target_max is None or self.target_max < self.target:
                raise ValueError("a range metric needs target_max >= target")
        elif self.target_max is not None:
            raise ValueError("target_max is only for the 'range' direction")
        if self.kind is MetricKind.MILESTONE:
            if not self.milestones:
                raise ValueError("a milestone metric lists its milestones")
            if self.target != len(self.milestones) or self.baseline != 0:
                raise ValueError("a milestone metric runs from 0 to the number of milestones")
        elif self.milestones:
            raise ValueError("milestones are only for the 'milestone' kind")
        if self.kind is MetricKind.BINARY and (self.baseline, self.target) != (0.0, 1.0):
            raise ValueError("a binary metric runs from 0 (not done) to 1 (done)")
        if self.direction in (Direction.INCREASE, Direction.DECREASE) and (
            self.target == self.baseline
        ):
            raise ValueError("target equals baseline: nothing to measure")
        if self.direction is Direction.INCREASE and self.target < self.baseline:
            raise ValueError("an 'increase' target must lie above its baseline")
        if self.direction is Direction.DECREASE and self.target > self.baseline:
            raise ValueError("a 'decrease' target must lie below its baseline")
        return self


class ParentKind(StrEnum):
    """What a goal can contribute to."""

    OBJECTIVE = "objective"
    KEY_RESULT = "key_result"


class ParentRef(Frozen):
    """A parent in the cascade: an objective, or one key result of an objective."""

    kind: ParentKind
    objective_id: Token
    key_result_id: Token | None = None
    tenant_id: Token | None = Field(
        default=None, description="the parent's tenant; omitted means the child's own tenant"
    )

    @model_validator(mode="after")
    def _kr_named(self) -> Self:
        if (self.kind is ParentKind.KEY_RESULT) != (self.key_result_id is not None):
            raise ValueError("key_result_id is given exactly when kind is 'key_result'")
        return self

    @property
    def key(self) -> str:
        """A stable string naming the parent, e.g. ``objective:o1`` or ``key_result:o1/kr2``."""
        if self.key_result_id is None:
            return f"objective:{self.objective_id}"
        return f"key_result:{self.objective_id}/{self.key_result_id}"
