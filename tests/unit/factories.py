"""Commands and events with sensible defaults, for the specifications."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from events.goals import GoalAligned
from events.objectives import KeyResultAdded, KeyResultTerms, ObjectiveCreated
from events.smart_goals import SmartGoalCreated
from events.values import (
    AggregateType,
    Commitment,
    Cycle,
    Direction,
    Level,
    Metric,
    MetricKind,
    ParentKind,
    ParentRef,
)
from services.domain import commands as c
from services.domain.facts import DecisionFacts, ParentFacts
from services.domain.state import GoalStatus

Q3 = Cycle.quarter("2026-q3")
Q4 = Cycle.quarter("2026-q4")
Q1 = Cycle.quarter("2027-q1")
MID_Q4 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
BEFORE_Q4 = datetime(2026, 9, 20, 9, 0, tzinfo=UTC)
TENANT = "acme"

NUMERIC = Metric(kind=MetricKind.NUMERIC, baseline=30, target=50)
PERCENT = Metric(kind=MetricKind.PERCENTAGE, baseline=20, target=40)
BINARY = Metric(kind=MetricKind.BINARY, baseline=0, target=1)
MILESTONES = Metric(kind=MetricKind.MILESTONE, target=3, milestones=("design", "beta", "ga"))
CURRENCY = Metric(kind=MetricKind.CURRENCY, baseline=1e6, target=1.5e6, unit="EUR")
KEEP_BELOW = Metric(kind=MetricKind.PERCENTAGE, direction=Direction.KEEP_BELOW, target=3)


def meta(now: datetime = MID_Q4, **extra: Any) -> c.CommandMeta:
    return c.CommandMeta(tenant_id=TENANT, actor="ana", now=now, **extra)


def terms(
    metric: Metric = NUMERIC, title: str = "Raise NPS", weight: float = 1.0
) -> KeyResultTerms:
    return KeyResultTerms(title=title, metric=metric, weight=weight)


def objective_created(level: Level = Level.TEAM, cycle: Cycle = Q4) -> ObjectiveCreated:
    return ObjectiveCreated(
        title="Make onboarding self-serve",
        level=level,
        owner="lead",
        cycle=cycle,
        commitment=Commitment.COMMITTED,
    )


def kr_added(kr_id: str = "kr1", metric: Metric = NUMERIC) -> KeyResultAdded:
    return KeyResultAdded(key_result_id=kr_id, terms=terms(metric))


def smart_created(**overrides: Any) -> SmartGoalCreated:
    fields: dict[str, Any] = {
        "statement": "Publish three onboarding guides for trial users",
        "owner": "ana",
        "cycle": Q4,
        "metric": Metric(kind=MetricKind.NUMERIC, baseline=0, target=3),
        "deadline": date(2026, 12, 15),
        "serves": (kr_parent(),),
    }
    return SmartGoalCreated(**{**fields, **overrides})


def kr_parent(objective_id: str = "parent", kr_id: str = "pkr") -> ParentRef:
    return ParentRef(kind=ParentKind.KEY_RESULT, objective_id=objective_id, key_result_id=kr_id)


def objective_parent(objective_id: str = "parent") -> ParentRef:
    return ParentRef(kind=ParentKind.OBJECTIVE, objective_id=objective_id)


def parent_facts(
    ref: ParentRef,
    level: Level = Level.COMPANY,
    ancestors: frozenset[str] = frozenset(),
    tenant: str = TENANT,
    status: GoalStatus = GoalStatus.ACTIVE,
) -> DecisionFacts:
    return DecisionFacts(
        parents={
            ref.key: ParentFacts(
                ref=ref,
                tenant_id=tenant,
                level=level,
                key_result_ids=frozenset({"pkr"}),
                ancestor_ids=ancestors | {ref.objective_id},
                status=status,
            )
        }
    )


def create_objective(**overrides: Any) -> c.CreateObjective:
    fields: dict[str, Any] = {
        "meta": meta(),
        "objective_id": "o1",
        "title": "Make onboarding self-serve",
        "level": Level.TEAM,
        "owner": "lead",
        "cycle": Q4,
    }
    return c.CreateObjective(**{**fields, **overrides})


def add_kr(kr_id: str = "kr1", metric: Metric = NUMERIC) -> c.AddKeyResult:
    return c.AddKeyResult(meta=meta(), objective_id="o1", key_result_id=kr_id, terms=terms(metric))


def check_in(
    value: float,
    kr_id: str | None = "kr1",
    goal_type: AggregateType = AggregateType.OBJECTIVE,
    **extra: Any,
) -> c.RecordCheckIn:
    fields: dict[str, Any] = {
        "meta": meta(),
        "goal_type": goal_type,
        "goal_id": "o1",
        "key_result_id": kr_id,
        "value": value,
        "confidence": 0.6,
    }
    return c.RecordCheckIn(**{**fields, **extra})


def report(
    value: float, key: str = "J-1", kr_id: str | None = "kr1", **extra: Any
) -> c.ReportProgress:
    fields: dict[str, Any] = {
        "meta": meta(),
        "goal_type": AggregateType.OBJECTIVE,
        "goal_id": "o1",
        "key_result_id": kr_id,
        "source": "jira",
        "idempotency_key": key,
        "value": value,
        "observed_at": MID_Q4,
    }
    return c.ReportProgress(**{**fields, **extra})


def create_smart(**overrides: Any) -> c.CreateSmartGoal:
    fields: dict[str, Any] = {
        "meta": meta(),
        "goal_id": "s1",
        "statement": "Publish three onboarding guides for trial users",
        "owner": "ana",
        "cycle": Q4,
        "metric": Metric(kind=MetricKind.NUMERIC, baseline=0, target=3),
        "deadline": date(2026, 12, 15),
        "serves": (kr_parent(),),
    }
    return c.CreateSmartGoal(**{**fields, **overrides})


def align(
    parent: ParentRef, goal_id: str = "o1", goal_type: AggregateType = AggregateType.OBJECTIVE
) -> c.AlignGoal:
    return c.AlignGoal(meta=meta(), goal_type=goal_type, goal_id=goal_id, parent=parent)


def unalign(
    parent: ParentRef,
    goal_id: str = "o1",
    goal_type: AggregateType = AggregateType.OBJECTIVE,
    reason: str | None = None,
) -> c.UnalignGoal:
    return c.UnalignGoal(
        meta=meta(), goal_type=goal_type, goal_id=goal_id, parent=parent, reason=reason
    )


def close(goal_id: str = "o1", goal_type: AggregateType = AggregateType.OBJECTIVE) -> c.CloseGoal:
    return c.CloseGoal(meta=meta(), goal_type=goal_type, goal_id=goal_id)


def archive(
    goal_id: str = "o1", goal_type: AggregateType = AggregateType.OBJECTIVE
) -> c.ArchiveGoal:
    return c.ArchiveGoal(meta=meta(), goal_type=goal_type, goal_id=goal_id)


def carry_over(
    to_cycle: Cycle = Q1, goal_id: str = "o1", goal_type: AggregateType = AggregateType.OBJECTIVE
) -> c.CarryOverGoal:
    return c.CarryOverGoal(meta=meta(), goal_type=goal_type, goal_id=goal_id, to_cycle=to_cycle)


ALIGNED = GoalAligned(parent=kr_parent())
