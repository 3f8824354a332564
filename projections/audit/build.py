"""Builds the audit report from a finished fold and the replay's scores and cascade (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from events.envelope import StoredEvent
from events.values import Cycle
from projections.audit.axes import TimeAxes
from projections.audit.fold import FoldedGoal, GoalKey, Measure, ReportFold
from projections.audit.policy_changes import changes_in_cycle
from projections.audit.report import AuditReport, GoalAudit, KeyResultAudit
from projections.scoring import ScoringPolicy, key_result_score
from projections.views import CascadeNode, GoalScore


class UnknownCycle(LookupError):
    """No goal of the tenant is in the cycle, and its id names no calendar quarter."""


def _key_result(kr_id: str, m: Measure, score: GoalScore, policy: ScoringPolicy) -> KeyResultAudit:
    shown = next((k for k in score.key_results if k.key_result_id == kr_id), None)
    return KeyResultAudit(
        key_result_id=kr_id,
        title=m.title,
        metric_kind=m.metric.kind.value,
        unit=m.metric.unit,
        baseline=m.metric.baseline,
        target=m.metric.target,
        original_target=m.original.target,
        final_value=m.value,
        final_score=0.0 if shown is None else shown.score,
        final_score_under_original_target=key_result_score(m.original, m.value, policy),
        history=tuple(m.history),
        adjustments=tuple(m.adjustments),
        forecast=None if shown is None else shown.forecast,
    )


def _goal(goal: FoldedGoal, score: GoalScore, policy: ScoringPolicy) -> GoalAudit:
    own = goal.measures.get(None) if score.goal_type == "smart_goal" else None
    return GoalAudit(
        goal_type=score.goal_type,
        goal_id=score.goal_id,
        title=score.title,
        level=score.level,
        owner=score.owner,
        cycle_id=score.cycle_id,
        status=score.status,
        expectation=score.expectation,
        final_score=score.score,
        met=bool(score.meets_expectation),
        band=score.band,
        pace=score.pace,
        expected_progress=score.expected_progress,
        confidence=score.confidence,
        deadline=score.deadline,
        outcome=score.outcome,
        metric_kind=None if own is None else own.metric.kind.value,
        unit=None if own is None else own.metric.unit,
        baseline=None if own is None else own.metric.baseline,
        target=None if own is None else own.metric.target,
        key_results=tuple(
            _key_result(kr_id, m, score, policy)
            for kr_id, m in goal.measures.items()
            if kr_id is not None
        ),
        history=() if own is None else tuple(own.history),
        carried_over=goal.carried_over,
        closed=goal.closed,
    )


def report_of(
    fold: ReportFold,
    tenant: str,
    cycle_id: str,
    axes: TimeAxes,
    scores: Mapping[GoalKey, GoalScore],
    cascade: Sequence[CascadeNode] = (),
) -> AuditReport:
    """The report of ``cycle_id`` from a finished fold and the replay's scores and cascade."""
    keys = [k for k in fold.goals_of(cycle_id) if k in scores]
    # The cycle's own dates: from a goal still in it, else from its name.
    cycle = next((fold.goals[k].cycle for k in keys if fold.goals[k].cycle.id == cycle_id), None)
    if cycle is None:
        try:
            cycle = Cycle.quarter(cycle_id)
        except ValueError:
            raise UnknownCycle(f"no goals of tenant {tenant} in cycle {cycle_id}") from None
    return AuditReport(
        tenant_id=tenant,
        cycle_id=cycle_id,
        cycle_starts_on=cycle.starts_on,
        cycle_ends_on=cycle.ends_on,
        as_of=axes.as_of,
        known_at=axes.known_at,
        events_considered=fold.events,
        last_stream_sequence=fold.last_stream_sequence,
        source_digest=fold.digest,
        goals=tuple(_goal(fold.goals[k], scores[k], fold.policy) for k in keys),
        cascade=tuple(cascade),
        policy_changes=changes_in_cycle(fold.policy_changes, keys),
    )


def build_report(
    tenant: str,
    cycle_id: str,
    axes: TimeAxes,
    events: Sequence[StoredEvent],
    scores: Mapping[GoalKey, GoalScore],
    policy: ScoringPolicy,
    cascade: Sequence[CascadeNode] = (),
) -> AuditReport:
    """The report of ``cycle_id``: scores from the replay, histories from the events."""
    fold = ReportFold(policy)
    fold.feed(events)
    return report_of(fold, tenant, cycle_id, axes, scores, cascade)
