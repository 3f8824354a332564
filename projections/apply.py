"""Applies events to in-memory read-model rows: pure, and the same code for live and replay."""

from __future__ import annotations

from datetime import datetime

from events.envelope import Envelope, StoredEvent
from events.goals import (
    CheckInRecorded,
    GoalAligned,
    GoalArchived,
    GoalCarriedOver,
    GoalClosed,
    GoalUnaligned,
    ProgressReported,
)
from events.objectives import (
    KeyResultAdded,
    KeyResultAdjusted,
    ObjectiveActivated,
    ObjectiveCreated,
)
from events.scoring_policy import ScoringPolicySet
from events.smart_goals import SmartGoalCreated
from events.values import ParentRef
from projections.observation import Observation, observation_of
from projections.policy_change import apply_policy_change
from projections.read_models import adjustments, progress, tenant_settings
from projections.read_models.adjustments import Adjustment, adjustment_entry
from projections.read_models.progress import progress_record
from projections.rows import AlignmentKey, GoalKey, GoalRow, KeyResultRow
from projections.scoring import ScoringPolicy, adjustment_scores, key_result_score, superseded
from projections.view import View


def _alignment_key(e: Envelope, parent: ParentRef) -> AlignmentKey:
    return (
        e.tenant_id,
        e.aggregate_type.value,
        e.aggregate_id,
        parent.objective_id,
        parent.key_result_id or "",
    )


def _observe(
    view: View,
    goal: GoalRow,
    kr_id: str | None,
    value: float,
    at: datetime,
    confidence: float | None,
    policy: ScoringPolicy,
) -> bool:
    """Record an observation; returns False when a newer one is already known (late)."""
    target: GoalRow | KeyResultRow = goal
    if kr_id is not None:
        target = view.key_results[(goal.tenant_id, goal.goal_id, kr_id)]
    newer_known = superseded(at, target.value_at)
    if not newer_known:
        target.value, target.value_at = value, at
        if isinstance(target, KeyResultRow):
            target.score = key_result_score(target.metric, value, policy)
            view.put_key_result(target)
    if confidence is not None and not superseded(at, target.confidence_at):
        target.confidence, target.confidence_at = confidence, at
        if isinstance(target, KeyResultRow):
            view.put_key_result(target)
    if kr_id is not None and confidence is not None and not superseded(at, goal.confidence_at):
        goal.confidence, goal.confidence_at = confidence, at
    view.unscored[goal.key] = goal
    return not newer_known


def _created_goal(e: Envelope, p: ObjectiveCreated | SmartGoalCreated) -> GoalRow:
    smart = isinstance(p, SmartGoalCreated)
    return GoalRow(
        tenant_id=e.tenant_id,
        goal_type=e.aggregate_type.value,
        goal_id=e.aggregate_id,
        title=p.statement if isinstance(p, SmartGoalCreated) else p.title,
        level=p.level.value,
        owner=p.owner,
        team=None if isinstance(p, SmartGoalCreated) else p.team,
        cycle_id=p.cycle.id,
        cycle_starts_on=p.cycle.starts_on,
        cycle_ends_on=p.cycle.ends_on,
        commitment=None if isinstance(p, SmartGoalCreated) else p.commitment.value,
        status="active" if smart else "draft",
        deadline=p.deadline if isinstance(p, SmartGoalCreated) else None,
        metric=p.metric if isinstance(p, SmartGoalCreated) else None,
        personal=p.personal if isinstance(p, SmartGoalCreated) else False,
        version=0,
        created_at=e.occurred_at,
        updated_at=e.recorded_at,
        # An objective without key results has nothing to measure yet (None, not 0.0).
        score=0.0 if smart else None,
    )


def apply_observation(view: View, o: Observation, default: ScoringPolicy) -> None:
    """Apply one check-in or integration report (its goal's rows must be preloaded)."""
    goal = view.goals.get((o.tenant_id, o.goal_type, o.goal_id))
    if goal is None or o.aggregate_version <= goal.version:
        return  # unknown goal or already applied: replays and redeliveries change nothing
    policy = view.policy_of(o.tenant_id, default)
    goal.version = o.aggregate_version
    goal.updated_at = o.recorded_at
    view.put_goal(goal)
    fresh = _observe(view, goal, o.key_result_id, o.value, o.at, o.confidence, policy)
    view.changes.add(progress.MODEL, progress_record(o, not fresh))


def apply(view: View, stored: StoredEvent | Observation, default: ScoringPolicy) -> None:
    """Apply one stored event to the view (rows must be preloaded for its goal, and for a
    policy change every goal of its tenant); ``default`` scores a tenant without a policy.

    Goal scores are brought up to date by ``view.settle``, once per batch.
    """
    if type(stored) is Observation:
        apply_observation(view, stored, default)
        return
    assert isinstance(stored, StoredEvent)
    e = stored.envelope
    p = e.payload
    if isinstance(p, CheckInRecorded | ProgressReported):
        # A check-in or report decoded in full (an older version) folds as a lean one.
        observed = observation_of(stored)
        assert observed is not None
        apply_observation(view, observed, default)
        return
    if isinstance(p, ScoringPolicySet):
        apply_policy_change(view, stored, p)
        return
    policy = view.policy_of(e.tenant_id, default)
    key: GoalKey = (e.tenant_id, e.aggregate_type.value, e.aggregate_id)
    setting = tenant_settings.setting_entry(stored)
    if setting is not None:
        view.changes.add(tenant_settings.MODEL, setting)
        return
    if isinstance(p, ObjectiveCreated | SmartGoalCreated):
        if key in view.goals:
            return
        view.put_goal(_created_goal(e, p))
        if isinstance(p, SmartGoalCreated):
            for parent in p.serves:
                view.changes.aligned[_alignment_key(e, parent)] = e.occurred_at
    goal = view.goals.get(key)
    if goal is None or e.aggregate_version <= goal.version:
        return  # unknown goal or already applied: replays and redeliveries change nothing
    goal.version = e.aggregate_version
    goal.updated_at = e.recorded_at
    view.put_goal(goal)
    match p:
        case ObjectiveActivated():
            goal.status = "active"
        case KeyResultAdded():
            goal.key_result_ids.append(p.key_result_id)
            view.put_key_result(
                KeyResultRow(
                    tenant_id=e.tenant_id,
                    objective_id=e.aggregate_id,
                    key_result_id=p.key_result_id,
                    position=len(goal.key_result_ids),
                    title=p.terms.title,
                    weight=p.terms.weight,
                    metric=p.terms.metric,
                    owner=p.owner,
                    score=key_result_score(p.terms.metric, None, policy),
                )
            )
            view.unscored[key] = goal
        case KeyResultAdjusted():
            kr = view.key_results[(e.tenant_id, e.aggregate_id, p.key_result_id)]
            kr.title, kr.weight, kr.metric = p.after.title, p.after.weight, p.after.metric
            original, kr.score = adjustment_scores(p.before.metric, kr.metric, kr.value, policy)
            view.put_key_result(kr)
            entry = adjustment_entry(stored, p, kr.value, original, kr.score)
            row = Adjustment(
                **dict(entry),
                tenant_id=e.tenant_id,
                objective_id=e.aggregate_id,
                key_result_id=p.key_result_id,
                cycle_id=goal.cycle_id,
            )
            view.changes.add(adjustments.MODEL, row)
            view.unscored[key] = goal
        case GoalAligned():
            akey = _alignment_key(e, p.parent)
            view.changes.unaligned.discard(akey)
            view.changes.aligned[akey] = e.occurred_at
        case GoalUnaligned():
            akey = _alignment_key(e, p.parent)
            view.changes.aligned.pop(akey, None)
            view.changes.unaligned.add(akey)
        case GoalClosed():
            goal.status, goal.grade = "closed", p.grade
        case GoalCarriedOver():
            goal.cycle_id = p.to_cycle.id
            goal.cycle_starts_on, goal.cycle_ends_on = p.to_cycle.starts_on, p.to_cycle.ends_on
        case GoalArchived():
            goal.status = "archived"
