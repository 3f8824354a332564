"""Builds the audit report from the replayed events and the replay's scores (pure)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from events.envelope import StoredEvent
from events.goals import CheckInRecorded, GoalCarriedOver, ProgressReported
from events.objectives import KeyResultAdded, KeyResultAdjusted, ObjectiveCreated
from events.scoring_policy import ScoringPolicySet
from events.smart_goals import SmartGoalCreated
from events.values import Cycle, Metric
from projections.audit.policy_changes import PolicyChangeAudit, changes_in_cycle, policy_change
from projections.audit.replay import Basis
from projections.audit.report import AuditReport, GoalAudit, KeyResultAudit, ScorePoint
from projections.read_models.adjustments import AdjustmentEntry, adjustment_entry
from projections.scoring import (
    ScoringPolicy,
    adjustment_scores,
    key_result_score,
    superseded,
    weighted_rollup,
)
from projections.views import GoalScore

# An entry recorded this long after the instant it applies to is flagged as late.
LATE_AFTER = timedelta(days=2)
GoalKey = tuple[str, str]  # goal type, goal id


@dataclass
class _Measure:
    """A KR (or a SMART goal's own metric) as the events tell it."""

    title: str
    original: Metric
    metric: Metric
    weight: float = 1.0
    history: list[ScorePoint] = field(default_factory=list)
    adjustments: list[AdjustmentEntry] = field(default_factory=list)
    latest_at: datetime | None = None
    value: float | None = None


@dataclass
class _Goal:
    cycle: Cycle
    measures: dict[str | None, _Measure] = field(default_factory=dict)


def source_digest(events: Sequence[StoredEvent]) -> str:
    """sha256 over the sequence, id and chain hash of every event the report rests on."""
    digest = hashlib.sha256()
    for e in events:
        digest.update(_digest_line(e))
    return digest.hexdigest()


def _digest_line(e: StoredEvent) -> bytes:
    return f"{e.stream_sequence}:{e.envelope.event_id}:{e.hash}\n".encode()


def _observe(
    stored: StoredEvent,
    goal: _Goal,
    kr: str | None,
    value: float,
    at: datetime,
    confidence: float | None,
    kind: Literal["check_in", "progress"],
    policy: ScoringPolicy,
) -> None:
    measure = goal.measures.get(kr)
    if measure is None:
        return
    e = stored.envelope
    older = superseded(at, measure.latest_at)
    if not older:
        measure.latest_at, measure.value = at, value
    measure.history.append(
        ScorePoint(
            stream_sequence=stored.stream_sequence,
            kind=kind,
            applies_at=at,
            occurred_at=e.occurred_at,
            recorded_at=e.recorded_at,
            actor=e.actor,
            value=value,
            confidence=confidence,
            target_in_force=measure.metric.target,
            score=key_result_score(measure.metric, value, policy),
            late=e.recorded_at - at > LATE_AFTER,
            superseded=older,
        )
    )


def _adjust(stored: StoredEvent, goal: _Goal, p: KeyResultAdjusted, policy: ScoringPolicy) -> None:
    measure = goal.measures[p.key_result_id]
    measure.title, measure.metric, measure.weight = p.after.title, p.after.metric, p.after.weight
    original, revised = adjustment_scores(p.before.metric, p.after.metric, measure.value, policy)
    measure.adjustments.append(adjustment_entry(stored, p, measure.value, original, revised))


class ReportFold:
    """Folds the replayed events batch by batch into what the report needs.

    It keeps the goals' histories and a running digest, never the events themselves,
    so a replay of a long quarter does not hold the whole log in memory.
    """

    def __init__(self, policy: ScoringPolicy) -> None:
        self.policy = policy  # the deployment default until the tenant's first policy
        self.goals: dict[GoalKey, _Goal] = {}
        self.policy_changes: list[PolicyChangeAudit] = []
        self.events = 0
        self.last_stream_sequence = 0
        self._digest = hashlib.sha256()

    @property
    def digest(self) -> str:
        """The source digest of the events fed so far."""
        return self._digest.hexdigest()

    def feed(self, events: Sequence[StoredEvent]) -> None:
        """Fold the next events, in stream order."""
        for stored in events:
            self._digest.update(_digest_line(stored))
            self._fold_one(stored)
        if events:
            self.events += len(events)
            self.last_stream_sequence = events[-1].stream_sequence

    def _fold_one(self, stored: StoredEvent) -> None:
        goals, policy = self.goals, self.policy
        e, p = stored.envelope, stored.envelope.payload
        key = (e.aggregate_type.value, e.aggregate_id)
        if isinstance(p, ScoringPolicySet):
            self.policy_changes.append(policy_change(stored, p, self.scores_under))
            self.policy = p.policy
            return
        if isinstance(p, ObjectiveCreated):
            goals[key] = _Goal(p.cycle)
            return
        if isinstance(p, SmartGoalCreated):
            goals[key] = _Goal(p.cycle, {None: _Measure(p.statement, p.metric, p.metric)})
            return
        goal = goals.get(key)
        if goal is None:
            return
        match p:
            case KeyResultAdded():
                goal.measures[p.key_result_id] = _Measure(
                    p.terms.title, p.terms.metric, p.terms.metric, p.terms.weight
                )
            case KeyResultAdjusted():
                _adjust(stored, goal, p, policy)
            case CheckInRecorded():
                _observe(
                    stored,
                    goal,
                    p.key_result_id,
                    p.value,
                    p.applies_at,
                    p.confidence,
                    "check_in",
                    policy,
                )
            case ProgressReported():
                _observe(
                    stored, goal, p.key_result_id, p.value, p.observed_at, None, "progress", policy
                )
            case GoalCarriedOver():
                goal.cycle = p.to_cycle

    def scores_under(self, policy: ScoringPolicy) -> dict[GoalKey, float | None]:
        """Every goal's score so far, were it scored under ``policy``."""
        return {key: _goal_score(goal, policy) for key, goal in self.goals.items()}


def _goal_score(goal: _Goal, policy: ScoringPolicy) -> float | None:
    """A goal's score from its measures: as the live projection computes it."""
    own = goal.measures.get(None)
    if own is not None:
        return key_result_score(own.metric, own.value, policy)
    return weighted_rollup(
        [(key_result_score(m.metric, m.value, policy), m.weight) for m in goal.measures.values()],
        policy,
    )


def _key_result(kr_id: str, m: _Measure, score: GoalScore, policy: ScoringPolicy) -> KeyResultAudit:
    final = next((k.score for k in score.key_results if k.key_result_id == kr_id), 0.0)
    return KeyResultAudit(
        key_result_id=kr_id,
        title=m.title,
        unit=m.metric.unit,
        baseline=m.metric.baseline,
        target=m.metric.target,
        original_target=m.original.target,
        final_value=m.value,
        final_score=final,
        final_score_under_original_target=key_result_score(m.original, m.value, policy),
        history=tuple(m.history),
        adjustments=tuple(m.adjustments),
    )


def build_report(
    tenant: str,
    cycle_id: str,
    as_of: datetime,
    basis: Basis,
    events: Sequence[StoredEvent],
    scores: Mapping[GoalKey, GoalScore],
    policy: ScoringPolicy,
) -> AuditReport:
    """The report of ``cycle_id``: final scores from the replay, histories from the events."""
    fold = ReportFold(policy)
    fold.feed(events)
    return report_of(fold, tenant, cycle_id, as_of, basis, scores)


class UnknownCycle(LookupError):
    """No goal of the tenant is in the cycle, and its id names no calendar quarter."""


def report_of(
    fold: ReportFold,
    tenant: str,
    cycle_id: str,
    as_of: datetime,
    basis: Basis,
    scores: Mapping[GoalKey, GoalScore],
) -> AuditReport:
    """The report of ``cycle_id`` from a finished fold and the replay's scores."""
    policy = fold.policy
    in_cycle = {k: g for k, g in fold.goals.items() if g.cycle.id == cycle_id and k in scores}
    cycle = next((g.cycle for g in in_cycle.values()), None)
    if cycle is None:
        try:
            cycle = Cycle.quarter(cycle_id)
        except ValueError:
            raise UnknownCycle(f"no goals of tenant {tenant} in cycle {cycle_id}") from None
    goals = []
    for key in sorted(in_cycle):
        goal, score = in_cycle[key], scores[key]
        smart = key[0] == "smart_goal"
        goals.append(
            GoalAudit(
                goal_type=score.goal_type,
                goal_id=score.goal_id,
                title=score.title,
                level=score.level,
                owner=score.owner,
                status=score.status,
                expectation=score.expectation,
                final_score=score.score,
                band=score.band,
                deadline=score.deadline,
                outcome=score.outcome,
                key_results=()
                if smart
                else tuple(
                    _key_result(kr_id, m, score, policy)
                    for kr_id, m in goal.measures.items()
                    if kr_id is not None
                ),
                history=tuple(goal.measures[None].history) if smart else (),
            )
        )
    return AuditReport(
        tenant_id=tenant,
        cycle_id=cycle_id,
        cycle_starts_on=cycle.starts_on,
        cycle_ends_on=cycle.ends_on,
        as_of=as_of,
        basis=basis,
        events_considered=fold.events,
        last_stream_sequence=fold.last_stream_sequence,
        source_digest=fold.digest,
        goals=tuple(goals),
        policy_changes=changes_in_cycle(fold.policy_changes, in_cycle),
    )
