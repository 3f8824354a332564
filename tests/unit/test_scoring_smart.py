"""SMART goals: percent complete, and pass/fail decided at the deadline."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from events.values import Direction, Metric, MetricKind
from projections.scoring import (
    ScoringPolicy,
    deadline_instant,
    key_result_score,
    latest_confidence,
    smart_goal_completion,
    smart_goal_outcome,
)

DEFAULT = ScoringPolicy()
METRIC = Metric(kind=MetricKind.NUMERIC, direction=Direction.INCREASE, baseline=0.0, target=40.0)
DEADLINE = date(2026, 3, 15)
ON_DEADLINE_DAY = datetime(2026, 3, 15, 23, 59, tzinfo=UTC)
AFTER_DEADLINE = datetime(2026, 3, 16, tzinfo=UTC)


# completion


def test_smart_goal_halfway_is_fifty_percent_complete() -> None:
    assert smart_goal_completion(METRIC, 20.0, DEFAULT) == pytest.approx(50.0)


def test_smart_goal_completion_is_the_kr_score_as_percent() -> None:
    for value in (0.0, 7.0, 33.3, 40.0, 55.0, -3.0):
        expected = key_result_score(METRIC, value, DEFAULT) * 100
        assert smart_goal_completion(METRIC, value, DEFAULT) == pytest.approx(expected)


def test_smart_goal_without_a_value_is_zero_percent_complete() -> None:
    assert smart_goal_completion(METRIC, None, DEFAULT) == 0.0


def test_smart_goal_beyond_target_is_capped_at_hundred_percent_by_default() -> None:
    assert smart_goal_completion(METRIC, 60.0, DEFAULT) == 100.0
    uncapped = ScoringPolicy(cap_key_result_at_one=False)
    assert smart_goal_completion(METRIC, 60.0, uncapped) == pytest.approx(150.0)


# outcome


def test_smart_goal_short_of_target_before_deadline_is_pending() -> None:
    assert smart_goal_outcome(80.0, DEADLINE, ON_DEADLINE_DAY - timedelta(days=10)) == "pending"


def test_smart_goal_short_of_target_on_the_deadline_day_is_still_pending() -> None:
    assert smart_goal_outcome(99.9, DEADLINE, ON_DEADLINE_DAY) == "pending"


def test_smart_goal_short_of_target_after_the_deadline_failed() -> None:
    assert smart_goal_outcome(99.9, DEADLINE, AFTER_DEADLINE) == "failed"


def test_smart_goal_at_hundred_percent_before_the_deadline_has_passed() -> None:
    assert smart_goal_outcome(100.0, DEADLINE, datetime(2026, 1, 2, tzinfo=UTC)) == "passed"


def test_smart_goal_at_hundred_percent_after_the_deadline_has_passed() -> None:
    assert smart_goal_outcome(100.0, DEADLINE, AFTER_DEADLINE + timedelta(days=90)) == "passed"


def test_smart_goal_over_hundred_percent_has_passed() -> None:
    assert smart_goal_outcome(150.0, DEADLINE, AFTER_DEADLINE) == "passed"


def test_smart_goal_with_no_progress_after_the_deadline_failed() -> None:
    assert smart_goal_outcome(0.0, DEADLINE, AFTER_DEADLINE) == "failed"


def test_smart_goal_deadline_given_as_an_instant_is_used_as_is() -> None:
    instant = datetime(2026, 3, 15, 12, tzinfo=UTC)
    assert smart_goal_outcome(10.0, instant, instant - timedelta(seconds=1)) == "pending"
    assert smart_goal_outcome(10.0, instant, instant) == "failed"


def test_a_date_deadline_lasts_until_the_end_of_that_utc_day() -> None:
    assert deadline_instant(DEADLINE) == AFTER_DEADLINE


def test_completion_from_a_real_metric_drives_the_outcome() -> None:
    reached = smart_goal_completion(METRIC, 40.0, DEFAULT)
    missed = smart_goal_completion(METRIC, 39.0, DEFAULT)
    assert smart_goal_outcome(reached, DEADLINE, AFTER_DEADLINE) == "passed"
    assert smart_goal_outcome(missed, DEADLINE, AFTER_DEADLINE) == "failed"


# latest_confidence


class _Reading:
    def __init__(self, confidence: float, applies_at: datetime) -> None:
        self.confidence = confidence
        self.applies_at = applies_at


def test_latest_confidence_of_no_check_ins_is_none() -> None:
    assert latest_confidence([]) is None


def test_latest_confidence_follows_applies_at_not_arrival_order() -> None:
    t = datetime(2026, 2, 1, tzinfo=UTC)
    readings = [_Reading(0.9, t + timedelta(days=2)), _Reading(0.3, t)]
    assert latest_confidence(readings) == pytest.approx(0.9)


def test_latest_confidence_for_the_same_instant_takes_the_later_recorded() -> None:
    t = datetime(2026, 2, 1, tzinfo=UTC)
    assert latest_confidence([_Reading(0.4, t), _Reading(0.6, t)]) == pytest.approx(0.6)
