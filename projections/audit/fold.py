"""Folds a replay's events, in stream order, into the histories the audit report shows (pure)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from events.envelope import StoredEvent
from events.goals import CheckInRecorded, GoalCarriedOver, GoalClosed, ProgressReported
from events.objectives import KeyResultAdded, KeyResultAdjusted, ObjectiveCreated
from events.scoring_policy import ScoringPolicySet
from events.smart_goals import SmartGoalCreated
from events.values import Cycle, Metric
from projections.audit.axes import back_dated, late, valid_time
from projections.audit.policy_changes import PolicyChangeAudit, policy_change
from projections.audit.report import CarryOver, Closure, ScorePoint
from projections.read_models.adjustments import AdjustmentEntry, adjustment_entry
from projections.scoring import (
    ScoringPolicy,
    adjustment_scores,
    key_result_score,
    superseded,
    weighted_rollup,
)

GoalKey = tuple[str, str]  # goal type, goal id


@dataclass
class Measure:
    """A KR (or a SMART goal's own metric) as the events tell it."""

    title: str
    original: Metric
    metric: Metric
    weight: float = 1.0
    # The metric in force from each valid time on, in stream order: an entry's target is
    # the one in force when its value held, whenever it was told.
    terms: list[tuple[datetime, Metric]] = field(default_factory=list)
    history: list[ScorePoint] = field(default_factory=list)
    adjustments: list[AdjustmentEntry] = field(default_factory=list)
    latest_at: datetime | None = None
    value: float | None = None

    def metric_at(self, instant: datetime) -> Metric:
        """The metric in force at ``instant`` of valid time."""
        in_force = self.original
        for since, metric in sorted(self.terms, key=lambda t: t[0]):
            if since <= instant:
                in_force = metric
        return in_force


@dataclass
class FoldedGoal:
    """A goal's cycles, measures and lifecycle as the events tell them."""

    cycle: Cycle
    cycles: set[str]
    measures: dict[str | None, Measure] = field(default_factory=dict)
    carried_over: CarryOver | None = None
    closed: Closure | None = None


def digest_line(e: StoredEvent) -> bytes:
    """What one event adds to the source digest: its sequence, id and chain hash."""
    return f"{e.stream_sequence}:{e.envelope.event_id}:{e.hash}\n".encode()


def _observe(
    stored: StoredEvent,
    measure: Measure,
    value: float,
    confidence: float | None,
    policy: ScoringPolicy,
) -> None:
    e, p = stored.envelope, stored.envelope.payload
    at = valid_time(e)
    older = superseded(at, measure.latest_at)
    if not older:
        measure.latest_at, measure.value = at, value
    in_force = measure.metric_at(at)
    report = p if isinstance(p, ProgressReported) else None
    measure.history.append(
        ScorePoint(
            stream_sequence=stored.stream_sequence,
            kind="check_in" if report is None else "progress",
            valid_at=at,
            occurred_at=e.occurred_at,
            recorded_at=e.recorded_at,
            actor=e.actor,
            source=None if report is None else report.source,
            idempotency_key=None if report is None else report.idempotency_key,
            value=value,
            confidence=confidence,
            target_in_force=in_force.target,
            score=key_result_score(in_force, value, policy),
            late=late(e),
            back_dated=back_dated(e),
            superseded=older,
        )
    )


def _adjust(
    stored: StoredEvent, measure: Measure, p: KeyResultAdjusted, policy: ScoringPolicy
) -> None:
    measure.title, measure.metric, measure.weight = p.after.title, p.after.metric, p.after.weight
    measure.terms.append((valid_time(stored.envelope), p.after.metric))
    original, revised = adjustment_scores(p.before.metric, p.after.metric, measure.value, policy)
    measure.adjustments.append(adjustment_entry(stored, p, measure.value, original, revised))


@dataclass
class FoldPart:
    """What one worker of a parallel replay folded: its goals, and the tenant's policy
    changes with its goals' scores (every worker sees every tenant-wide event)."""

    goals: dict[GoalKey, FoldedGoal]
    policy_changes: list[PolicyChangeAudit]
    policy: ScoringPolicy


class ReportFold:
    """Folds the replayed events batch by batch into what the report needs.

    It keeps the goals' histories and a running digest, never the events themselves,
    so a replay of a long quarter does not hold the whole log in memory.
    """

    def __init__(self, policy: ScoringPolicy) -> None:
        self.policy = policy  # the deployment default until the tenant's first policy
        self.goals: dict[GoalKey, FoldedGoal] = {}
        self.policy_changes: list[PolicyChangeAudit] = []
        self.events = 0
        self.last_stream_sequence = 0
        self._digest = hashlib.sha256()

    @property
    def digest(self) -> str:
        """The source digest of the events fed so far."""
        return self._digest.hexdigest()

    def goals_of(self, cycle_id: str) -> list[GoalKey]:
        """The goals that are or were in ``cycle_id`` (a carried-over goal is in both)."""
        return sorted(k for k, g in self.goals.items() if cycle_id in g.cycles)

    def feed(self, events: Sequence[StoredEvent]) -> None:
        """Fold the next events, in stream order."""
        for stored in events:
            self._digest.update(digest_line(stored))
            self._fold_one(stored)
        if events:
            self.events += len(events)
            self.last_stream_sequence = events[-1].stream_sequence

    def tally(self, lines: Sequence[tuple[int, bytes]]) -> None:
        """Count events folded elsewhere (by a parallel replay's workers): each one's
        sequence and ``digest_line``, in stream order."""
        for _, line in lines:
            self._digest.update(line)
        if lines:
            self.events += len(lines)
            self.last_stream_sequence = lines[-1][0]

    def part(self) -> FoldPart:
        """What this fold holds besides its counts: a worker's share, to be absorbed."""
        return FoldPart(self.goals, self.policy_changes, self.policy)

    def absorb(self, parts: Sequence[FoldPart]) -> None:
        """Take in the shares of a parallel replay's workers (disjoint sets of goals).

        Each worker saw each policy change and scored its own goals under it; the entry
        of a change is its entry with all of them, in the order one fold would give.
        """
        for part in parts:
            self.goals.update(part.goals)
        if parts:
            self.policy = parts[0].policy
        for changes in zip(*(part.policy_changes for part in parts), strict=True):
            goals = sorted(
                (g for change in changes for g in change.goals),
                key=lambda g: (g.goal_type, g.goal_id),
            )
            self.policy_changes.append(changes[0].model_copy(update={"goals": tuple(goals)}))

    def _fold_one(self, stored: StoredEvent) -> None:
        e, p = stored.envelope, stored.envelope.payload
        key = (e.aggregate_type.value, e.aggregate_id)
        if isinstance(p, ScoringPolicySet):
            self.policy_changes.append(policy_change(stored, p, self.scores_under))
            self.policy = p.policy
            return
        if isinstance(p, ObjectiveCreated):
            self.goals[key] = FoldedGoal(p.cycle, {p.cycle.id})
            return
        if isinstance(p, SmartGoalCreated):
            own = Measure(p.statement, p.metric, p.metric)
            self.goals[key] = FoldedGoal(p.cycle, {p.cycle.id}, {None: own})
            return
        goal = self.goals.get(key)
        if goal is None:
            return
        match p:
            case KeyResultAdded():
                goal.measures[p.key_result_id] = Measure(
                    p.terms.title, p.terms.metric, p.terms.metric, p.terms.weight
                )
            case KeyResultAdjusted() if p.key_result_id in goal.measures:
                _adjust(stored, goal.measures[p.key_result_id], p, self.policy)
            case CheckInRecorded() if p.key_result_id in goal.measures:
                _observe(stored, goal.measures[p.key_result_id], p.value, p.confidence, self.policy)
            case ProgressReported() if p.key_result_id in goal.measures:
                _observe(stored, goal.measures[p.key_result_id], p.value, None, self.policy)
            case GoalCarriedOver():
                goal.cycle = p.to_cycle
                goal.cycles |= {p.from_cycle.id, p.to_cycle.id}
                goal.carried_over = CarryOver(
                    from_cycle=p.from_cycle.id,
                    to_cycle=p.to_cycle.id,
                    valid_at=valid_time(e),
                    recorded_at=e.recorded_at,
                    actor=e.actor,
                    reason=p.reason,
                )
            case GoalClosed():
                goal.closed = Closure(
                    closed_at=valid_time(e),
                    recorded_at=e.recorded_at,
                    actor=e.actor,
                    grade=p.grade,
                    note=p.note,
                )

    def scores_under(self, policy: ScoringPolicy) -> dict[GoalKey, float | None]:
        """Every goal's score so far, were it scored under ``policy``."""
        return {key: _goal_score(goal, policy) for key, goal in self.goals.items()}


def _goal_score(goal: FoldedGoal, policy: ScoringPolicy) -> float | None:
    """A goal's score from its measures: as the live projection computes it."""
    own = goal.measures.get(None)
    if own is not None:
        return key_result_score(own.metric, own.value, policy)
    return weighted_rollup(
        [(key_result_score(m.metric, m.value, policy), m.weight) for m in goal.measures.values()],
        policy,
    )
