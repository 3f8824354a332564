"""Immutable states of the goal aggregates, built by folding their events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from immutables import Map

from events.objectives import KeyResultTerms
from events.values import Commitment, Cycle, Level, Metric, ParentRef

# (source, idempotency_key) of every counted report. A persistent map (HAMT): adding one
# shares the rest, where a frozenset would be copied whole for every report of a goal.
SeenReports = Map[tuple[str, str], bool]
EMPTY_SEEN: SeenReports = Map()


class GoalStatus(StrEnum):
    """Lifecycle of a goal."""

    DRAFT = "draft"
    ACTIVE = "active"
    CLOSED = "closed"
    ARCHIVED = "archived"


@dataclass(frozen=True)
class KeyResultState:
    """A key result's current terms."""

    terms: KeyResultTerms
    owner: str | None = None


@dataclass(frozen=True)
class ObjectiveState:
    """An objective and its key results (in the order they were added)."""

    title: str
    level: Level
    owner: str
    cycle: Cycle
    commitment: Commitment
    status: GoalStatus = GoalStatus.DRAFT
    key_results: tuple[tuple[str, KeyResultState], ...] = ()
    parents: tuple[ParentRef, ...] = ()
    seen_progress: SeenReports = EMPTY_SEEN

    def key_result(self, key_result_id: str) -> KeyResultState | None:
        """The key result with this id, if any."""
        return dict(self.key_results).get(key_result_id)

    @property
    def key_result_ids(self) -> frozenset[str]:
        """Ids of every key result."""
        return frozenset(kr_id for kr_id, _ in self.key_results)


@dataclass(frozen=True)
class SmartGoalState:
    """A SMART goal."""

    statement: str
    owner: str
    level: Level
    cycle: Cycle
    metric: Metric
    deadline: date
    personal: bool
    status: GoalStatus = GoalStatus.ACTIVE
    parents: tuple[ParentRef, ...] = ()
    seen_progress: SeenReports = EMPTY_SEEN


GoalState = ObjectiveState | SmartGoalState
