"""Check-ins and integration reports: values that fit the metric, time, lifecycle, dedupe."""

from __future__ import annotations

from datetime import timedelta

import pytest

from events.envelope import EventPayload
from events.goals import (
    CheckInRecorded,
    GoalArchived,
    GoalCarriedOver,
    GoalClosed,
    ProgressReported,
)
from events.objectives import KeyResultAdjusted
from events.values import AggregateType, Metric
from services.domain import commands as c
from services.domain.errors import ErrorCode
from tests.unit.factories import (
    BINARY,
    CURRENCY,
    KEEP_BELOW,
    MID_Q4,
    MILESTONES,
    NUMERIC,
    PERCENT,
    Q1,
    Q4,
    check_in,
    kr_added,
    meta,
    objective_created,
    report,
    smart_created,
    terms,
)
from tests.unit.given_when_then import given

SMART = AggregateType.SMART_GOAL


def with_kr(metric: Metric) -> tuple[EventPayload, ...]:
    return (objective_created(), kr_added(metric=metric))


def test_a_check_in_is_recorded_at_the_request_time_by_default() -> None:
    given(*with_kr(NUMERIC)).when(check_in(42, note="survey")).then(
        CheckInRecorded(
            key_result_id="kr1", value=42, confidence=0.6, note="survey", applies_at=MID_Q4
        )
    )


def test_a_back_dated_check_in_keeps_its_applies_at() -> None:
    earlier = MID_Q4 - timedelta(days=10)
    given(*with_kr(NUMERIC)).when(check_in(42, applies_at=earlier)).then(
        CheckInRecorded(key_result_id="kr1", value=42, confidence=0.6, applies_at=earlier)
    )


@pytest.mark.parametrize(
    ("metric", "value"),
    [
        (NUMERIC, -5.5),
        (CURRENCY, 1_234_567.89),
        (PERCENT, 0),
        (PERCENT, 100),
        (BINARY, 1),
        (BINARY, 0),
        (MILESTONES, 2),
        (MILESTONES, 3),
        (KEEP_BELOW, 2.5),
    ],
)
def test_values_that_fit_the_metric_kind_are_accepted(metric: Metric, value: float) -> None:
    given(*with_kr(metric)).when(check_in(value)).then_types("check_in.recorded")


@pytest.mark.parametrize(
    ("metric", "value"),
    [
        (PERCENT, -1),
        (PERCENT, 100.5),
        (BINARY, 0.5),
        (BINARY, 2),
        (MILESTONES, 1.5),
        (MILESTONES, 4),
        (MILESTONES, -1),
    ],
)
def test_values_that_do_not_fit_the_metric_kind_are_refused(metric: Metric, value: float) -> None:
    given(*with_kr(metric)).when(check_in(value)).then_rejects(ErrorCode.VALUE_DOES_NOT_FIT_METRIC)


def test_confidence_outside_zero_to_one_is_refused_by_the_schema() -> None:
    with pytest.raises(ValueError, match="confidence"):
        check_in(1, confidence=1.2)


def test_an_objective_check_in_names_its_key_result() -> None:
    given(*with_kr(NUMERIC)).when(check_in(1, kr_id=None)).then_rejects(
        ErrorCode.KEY_RESULT_REQUIRED
    )
    given(*with_kr(NUMERIC)).when(check_in(1, kr_id="nope")).then_rejects(
        ErrorCode.UNKNOWN_KEY_RESULT
    )


def test_a_smart_goal_check_in_names_no_key_result() -> None:
    given(smart_created()).when(check_in(1, kr_id=None, goal_type=SMART)).then_types(
        "check_in.recorded"
    )
    given(smart_created()).when(check_in(1, kr_id="kr1", goal_type=SMART)).then_rejects(
        ErrorCode.KEY_RESULT_NOT_EXPECTED
    )


def test_a_check_in_in_the_future_is_refused() -> None:
    later = MID_Q4 + timedelta(hours=1)
    given(*with_kr(NUMERIC)).when(check_in(1, applies_at=later)).then_rejects(
        ErrorCode.CHECK_IN_IN_FUTURE
    )


def test_a_check_in_outside_the_cycle_is_refused() -> None:
    before = MID_Q4 - timedelta(days=60)
    given(*with_kr(NUMERIC)).when(check_in(1, applies_at=before)).then_rejects(
        ErrorCode.CHECK_IN_OUTSIDE_CYCLE
    )


def test_closed_and_archived_goals_accept_no_check_ins() -> None:
    given(*with_kr(NUMERIC), GoalClosed()).when(check_in(1)).then_rejects(ErrorCode.GOAL_CLOSED)
    given(*with_kr(NUMERIC), GoalArchived()).when(check_in(1)).then_rejects(ErrorCode.GOAL_ARCHIVED)


def test_an_integration_report_is_recorded() -> None:
    given(*with_kr(NUMERIC)).when(report(44)).then(
        ProgressReported(
            key_result_id="kr1", source="jira", idempotency_key="J-1", value=44, observed_at=MID_Q4
        )
    )


def test_the_same_report_counts_once_however_late_it_is_resent() -> None:
    first = ProgressReported(
        key_result_id="kr1", source="jira", idempotency_key="J-1", value=44, observed_at=MID_Q4
    )
    resent = report(44, meta=meta(MID_Q4 + timedelta(days=20)))
    given(*with_kr(NUMERIC), first).when(resent).then_nothing()
    given(*with_kr(NUMERIC), first).when(report(45, key="J-2")).then_types("progress.reported")


def test_a_report_that_does_not_fit_is_refused() -> None:
    given(*with_kr(PERCENT)).when(report(140)).then_rejects(ErrorCode.VALUE_DOES_NOT_FIT_METRIC)
    given(*with_kr(NUMERIC), GoalClosed()).when(report(1)).then_rejects(ErrorCode.GOAL_CLOSED)


def test_non_finite_values_are_refused_by_the_schema() -> None:
    with pytest.raises(ValueError, match="finite"):
        c.RecordCheckIn(
            meta=meta(),
            goal_type=AggregateType.OBJECTIVE,
            goal_id="o1",
            value=float("nan"),
            confidence=0.5,
        )


def test_a_check_in_at_the_first_instant_of_the_cycle_counts_and_one_before_does_not() -> None:
    start = Q4.starts_at
    given(*with_kr(NUMERIC)).when(check_in(1, applies_at=start)).then_types("check_in.recorded")
    given(*with_kr(NUMERIC)).when(
        check_in(1, applies_at=start - timedelta(microseconds=1))
    ).then_rejects(ErrorCode.CHECK_IN_OUTSIDE_CYCLE)


def test_a_check_in_after_the_cycle_ended_is_refused() -> None:
    after = meta(Q4.ends_at + timedelta(days=1))
    given(*with_kr(NUMERIC)).when(check_in(1, meta=after)).then_rejects(
        ErrorCode.CHECK_IN_OUTSIDE_CYCLE
    )
    given(*with_kr(NUMERIC)).when(
        check_in(1, meta=after, applies_at=Q4.ends_at - timedelta(seconds=1))
    ).then_types("check_in.recorded")


def test_a_value_is_checked_against_the_adjusted_metric() -> None:
    to_percent = KeyResultAdjusted(
        key_result_id="kr1",
        before=terms(),
        after=terms(PERCENT),
        changed_fields=("metric.kind",),
        mid_cycle=True,
        reason="now a rate",
    )
    given(*with_kr(NUMERIC)).when(check_in(120)).then_types("check_in.recorded")
    given(*with_kr(NUMERIC), to_percent).when(check_in(120)).then_rejects(
        ErrorCode.VALUE_DOES_NOT_FIT_METRIC
    )


def test_a_smart_goal_check_in_fits_its_metric() -> None:
    binary_goal = smart_created(metric=BINARY)
    given(binary_goal).when(check_in(1, kr_id=None, goal_type=SMART)).then_types(
        "check_in.recorded"
    )
    given(binary_goal).when(check_in(0.5, kr_id=None, goal_type=SMART)).then_rejects(
        ErrorCode.VALUE_DOES_NOT_FIT_METRIC
    )


def test_values_that_bypassed_the_schema_are_still_refused() -> None:
    # model_copy(update=...) skips validation, as a hand-built command might.
    infinite = check_in(1).model_copy(update={"value": float("inf")})
    too_sure = check_in(1).model_copy(update={"confidence": 1.5})
    given(*with_kr(NUMERIC)).when(infinite).then_rejects(ErrorCode.VALUE_DOES_NOT_FIT_METRIC)
    given(*with_kr(NUMERIC)).when(too_sure).then_rejects(ErrorCode.INVALID_COMMAND)


def test_a_report_names_its_key_result_on_an_objective_and_none_on_a_smart_goal() -> None:
    given(*with_kr(NUMERIC)).when(report(1, kr_id=None)).then_rejects(ErrorCode.KEY_RESULT_REQUIRED)
    given(*with_kr(NUMERIC)).when(report(1, kr_id="nope")).then_rejects(
        ErrorCode.UNKNOWN_KEY_RESULT
    )
    smart_report = report(2, kr_id=None, goal_type=SMART, goal_id="s1")
    given(smart_created()).when(smart_report).then(
        ProgressReported(
            key_result_id=None, source="jira", idempotency_key="J-1", value=2, observed_at=MID_Q4
        )
    )
    given(smart_created()).when(report(2, kr_id="kr1", goal_type=SMART, goal_id="s1")).then_rejects(
        ErrorCode.KEY_RESULT_NOT_EXPECTED
    )


def test_a_report_observed_in_the_future_or_outside_the_cycle_is_refused() -> None:
    given(*with_kr(NUMERIC)).when(
        report(1, observed_at=MID_Q4 + timedelta(minutes=1))
    ).then_rejects(ErrorCode.CHECK_IN_IN_FUTURE)
    given(*with_kr(NUMERIC)).when(
        report(1, observed_at=Q4.starts_at - timedelta(days=1))
    ).then_rejects(ErrorCode.CHECK_IN_OUTSIDE_CYCLE)


def test_an_archived_goal_takes_no_reports() -> None:
    given(*with_kr(NUMERIC), GoalArchived()).when(report(1)).then_rejects(ErrorCode.GOAL_ARCHIVED)


def test_a_counted_report_resent_after_the_goal_moved_on_still_changes_nothing() -> None:
    first = ProgressReported(
        key_result_id="kr1", source="jira", idempotency_key="J-1", value=44, observed_at=MID_Q4
    )
    for later in (GoalClosed(), GoalArchived(), GoalCarriedOver(from_cycle=Q4, to_cycle=Q1)):
        given(*with_kr(NUMERIC), first, later).when(report(44)).then_nothing()


def test_the_same_key_from_another_source_counts_separately() -> None:
    first = ProgressReported(
        key_result_id="kr1", source="jira", idempotency_key="J-1", value=44, observed_at=MID_Q4
    )
    given(*with_kr(NUMERIC), first).when(report(44, source="crm")).then_types("progress.reported")
