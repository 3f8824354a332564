"""The event contract: every event type round-trips; old versions are upcast."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from events.cadence import CadenceTerms, CheckInCadenceSet, HygienePolicySet
from events.data_subjects import DataSubjectErased
from events.envelope import Envelope, EventPayload
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
    KeyResultTerms,
    ObjectiveActivated,
    ObjectiveCreated,
)
from events.registry import REGISTRY, UnknownEventType, UnsupportedSchemaVersion
from events.scoring_policy import ScoringPolicy, ScoringPolicySet
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

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
Q4 = Cycle.quarter("2026-q4")
METRIC = Metric(kind=MetricKind.NUMERIC, baseline=30, target=50)
TERMS = KeyResultTerms(title="Raise NPS", metric=METRIC, weight=1.0)
PARENT = ParentRef(kind=ParentKind.KEY_RESULT, objective_id="o1", key_result_id="kr1")

EXAMPLES: list[EventPayload] = [
    ObjectiveCreated(
        title="Grow", level=Level.COMPANY, owner="ceo", cycle=Q4, commitment=Commitment.ASPIRATIONAL
    ),
    ObjectiveActivated(key_result_count=1, flags=("fewer_than_two_key_results",)),
    KeyResultAdded(key_result_id="kr1", terms=TERMS),
    KeyResultAdjusted(
        key_result_id="kr1",
        before=TERMS,
        after=TERMS.model_copy(update={"weight": 2.0}),
        changed_fields=("weight",),
        mid_cycle=True,
        reason="re-planned",
    ),
    SmartGoalCreated(
        statement="Publish three onboarding guides for trial users",
        owner="ana",
        cycle=Q4,
        metric=METRIC,
        deadline=Q4.ends_on,
        serves=(PARENT,),
    ),
    GoalAligned(parent=PARENT),
    GoalUnaligned(parent=PARENT, reason="re-org"),
    CheckInRecorded(key_result_id="kr1", value=40, confidence=0.6, applies_at=NOW),
    ProgressReported(
        key_result_id="kr1", source="jira", idempotency_key="J-1", value=41, observed_at=NOW
    ),
    GoalClosed(grade=0.7),
    GoalCarriedOver(from_cycle=Q4, to_cycle=Cycle.quarter("2027-q1")),
    GoalArchived(),
    DataSubjectErased(subject_id="ana", reason="request 2026-17"),
    CheckInCadenceSet(
        goal_type=AggregateType.SMART_GOAL,
        cadence=CadenceTerms(period_days=30, grace_days=3, stale_after_missed=2),
    ),
    HygienePolicySet(max_goals_per_owner=4),
    ScoringPolicySet(
        effective_at=NOW,
        policy=ScoringPolicy(keep_comparison="strict"),
        previous=ScoringPolicy(),
        changed=("keep_comparison",),
        reason="an exact hit on a keep-below target is a miss here",
    ),
]


def wrap(payload: EventPayload, schema_version: int | None = None) -> Envelope:
    return Envelope(
        event_id=uuid.uuid4(),
        event_type=payload.event_type,
        schema_version=schema_version or payload.schema_version,
        tenant_id="acme",
        aggregate_type=payload.aggregate_types[0],
        aggregate_id="o1",
        aggregate_version=1,
        occurred_at=NOW,
        recorded_at=NOW,
        actor="ana",
        correlation_id=uuid.uuid4(),
        causation_id=uuid.uuid4(),
        payload=payload,
    )


def test_every_registered_type_has_an_example() -> None:
    assert {p.event_type for p in EXAMPLES} == set(REGISTRY.payload_types)


@pytest.mark.parametrize("payload", EXAMPLES, ids=lambda p: p.event_type)
def test_event_round_trips_through_the_registry(payload: EventPayload) -> None:
    original = wrap(payload)

    decoded = REGISTRY.decode(REGISTRY.encode(original))

    assert decoded == original
    assert type(decoded.payload) is type(payload)


def test_v1_check_in_is_upcast_with_applies_at_from_occurred_at() -> None:
    stored_v1 = json.loads(REGISTRY.encode(wrap(EXAMPLES[7])))
    stored_v1["schema_version"] = 1
    del stored_v1["payload"]["applies_at"]
    stored_v1["occurred_at"] = "2026-10-15T08:00:00Z"

    decoded = REGISTRY.decode(json.dumps(stored_v1))

    assert isinstance(decoded.payload, CheckInRecorded)
    assert decoded.payload.applies_at == datetime(2026, 10, 15, 8, tzinfo=UTC)
    assert decoded.schema_version == 3


def test_a_version_newer_than_the_code_is_refused() -> None:
    stored = json.loads(REGISTRY.encode(wrap(GoalArchived())))
    stored["schema_version"] = 9

    with pytest.raises(UnsupportedSchemaVersion):
        REGISTRY.decode(json.dumps(stored))


def test_an_unknown_event_type_is_refused() -> None:
    stored = json.loads(REGISTRY.encode(wrap(GoalArchived())))
    stored["event_type"] = "goal.teleported"

    with pytest.raises(UnknownEventType):
        REGISTRY.decode(json.dumps(stored))


def test_payload_aggregate_types_are_declared() -> None:
    for cls in REGISTRY.payload_types.values():
        assert set(cls.aggregate_types) <= set(AggregateType)


def test_range_metric_needs_an_upper_bound() -> None:
    with pytest.raises(ValueError, match="target_max"):
        Metric(kind=MetricKind.NUMERIC, direction=Direction.RANGE, target=3)


def test_calendar_quarter_dates() -> None:
    q1 = Cycle.quarter("2027-Q1")
    assert (q1.id, q1.starts_on.isoformat(), q1.ends_on.isoformat()) == (
        "2027-q1",
        "2027-01-01",
        "2027-03-31",
    )
    assert q1.contains(datetime(2027, 3, 31, 23, 59, tzinfo=UTC))
    assert not q1.contains(datetime(2027, 4, 1, tzinfo=UTC))
