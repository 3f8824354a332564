"""In-memory rows of the read models, as the projector holds them between flushes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from events.values import Metric
from projections.read_models.history import History

R = TypeVar("R")

GoalKey = tuple[str, str, str]  # tenant, goal type, goal id
KeyResultKey = tuple[str, str, str]  # tenant, objective id, key result id
AlignmentKey = tuple[str, str, str, str, str]  # tenant, child type, child id, parent obj, kr


@dataclass
class GoalRow:
    """One objective or SMART goal with its current score."""

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
    commitment: str | None
    status: str
    deadline: date | None
    metric: Metric | None
    personal: bool
    version: int
    created_at: datetime
    updated_at: datetime
    value: float | None = None
    value_at: datetime | None = None
    confidence: float | None = None
    confidence_at: datetime | None = None
    score: float | None = None
    grade: float | None = None
    key_result_ids: list[str] = field(default_factory=list)

    @property
    def key(self) -> GoalKey:
        """Primary key."""
        return (self.tenant_id, self.goal_type, self.goal_id)


@dataclass
class KeyResultRow:
    """One key result with its latest observation and score."""

    tenant_id: str
    objective_id: str
    key_result_id: str
    position: int
    title: str
    weight: float
    metric: Metric
    owner: str | None
    value: float | None = None
    value_at: datetime | None = None
    confidence: float | None = None
    confidence_at: datetime | None = None
    score: float = 0.0

    @property
    def key(self) -> KeyResultKey:
        """Primary key."""
        return (self.tenant_id, self.objective_id, self.key_result_id)


@dataclass
class Changes:
    """What one batch changed, to be flushed in one transaction."""

    goals: dict[GoalKey, GoalRow] = field(default_factory=dict)
    key_results: dict[KeyResultKey, KeyResultRow] = field(default_factory=dict)
    # The rows of each append-only read model, in the order its events came.
    appended: dict[History[Any], list[Any]] = field(default_factory=dict)
    aligned: dict[AlignmentKey, datetime] = field(default_factory=dict)
    unaligned: set[AlignmentKey] = field(default_factory=set)

    def add(self, model: History[R], row: R) -> None:
        """Queue one row of an append-only read model."""
        rows = self.appended.get(model)
        if rows is None:
            rows = self.appended[model] = []
        rows.append(row)
