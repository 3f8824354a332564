"""Scoring for every metric kind, direction and policy, with the edge cases."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from events.values import Commitment, Direction, Metric, MetricKind
from projections.scoring import (
    ScoringPolicy,
    cascade_rollup,
    colour_band,
    expectation,
    expected_progress,
    key_result_score,
    pace,
    smart_goal_completion,
    smart_goal_outcome,
    weighted_rollup,
)

DEFAULT = ScoringPolicy()
UNCAPPED = ScoringPolicy(cap_key_result_at_one=False, cap_rollup_at_one=False)
UNFLOORED = ScoringPolicy(floor_at_zero=False)
STRICT = ScoringPolicy(keep_comparison="strict")

INCREASE = Metric(kind=MetricKind.NUMERIC, baseline=30, target=50)
DECREASE = Metric(kind=MetricKind.PERCENTAGE, direction=Direction.DECREASE, baseline=5, target=3)
KEEP_ABOVE = Metric(kind=MetricKind.PERCENTAGE, direction=Direction.KEEP_ABOVE, target=99.9)
KEEP_BELOW = Metric(kind=MetricKind.NUMERIC, direction=Direction.KEEP_BELOW, target=200)
RANGE = Metric(kind=MetricKind.NUMERIC, direction=Direction.RANGE, target=40, target_max=60)
BINARY = Metric(kind=MetricKind.BINARY, baseline=0, target=1)
MILESTONES = Metric(kind=MetricKind.MILESTONE, target=4, milestones=("a", "b", "c", "d"))
CURRENCY = Metric(kind=MetricKind.CURRENCY, baseline=1e6, target=1.5e6)


@pytest.mark.parametrize(
    ("metric", "value", "score"),
    [
        (INCREASE, 30, 0.0), (INCREASE, 40, 0.5), (INCREASE, 50, 1.0),
        (DECREASE, 5, 0.0), (DECREASE, 4, 0.5), (DECREASE, 3, 1.0),
        (CURRENCY, 1.2e6, 0.4),
        (BINARY, 0, 0.0), (BINARY, 1, 1.0),
        (MILESTONES, 0, 0.0), (MILESTONES, 3, 0.75), (MILESTONES, 4, 1.0),
        (KEEP_ABOVE, 99.95, 1.0), (KEEP_ABOVE, 99.0, 0.0),
        (KEEP_BELOW, 150, 1.0), (KEEP_BELOW, 250, 0.0),
        (RANGE, 50, 1.0), (RANGE, 39, 0.0), (RANGE, 61, 0.0),
    ],
)
def test_score_by_kind_and_direction(metric: Metric, value: float, score: float) -> None:
    assert key_result_score(metric, value, DEFAULT) == pytest.approx(score)


def test_no_value_yet_scores_zero() -> None:
    assert key_result_score(INCREASE, None, DEFAULT) == 0.0
    assert key_result_score(KEEP_BELOW, None, DEFAULT) == 0.0


def test_beyond_target_is_capped_by_default_and_not_when_uncapped() -> None:
    assert key_result_score(INCREASE, 60, DEFAULT) == 1.0
    assert key_result_score(INCREASE, 60, UNCAPPED) == pytest.approx(1.5)
    assert key_result_score(DECREASE, 2, UNCAPPED) == pytest.approx(1.5)


def test_below_baseline_is_floored_by_default_and_negative_when_unfloored() -> None:
    assert key_result_score(INCREASE, 20, DEFAULT) == 0.0
    assert key_result_score(INCREASE, 20, UNFLOORED) == pytest.approx(-0.5)
    assert key_result_score(DECREASE, 6, UNFLOORED) == pytest.approx(-0.5)


def test_an_exact_hit_on_a_keep_threshold_passes_inclusive_and_fails_strict() -> None:
    assert key_result_score(KEEP_BELOW, 200, DEFAULT) == 1.0
    assert key_result_score(KEEP_BELOW, 200, STRICT) == 0.0
    assert key_result_score(KEEP_ABOVE, 99.9, DEFAULT) == 1.0
    assert key_result_score(KEEP_ABOVE, 99.9, STRICT) == 0.0


def test_range_bounds_follow_the_comparison_policy() -> None:
    assert key_result_score(RANGE, 40, DEFAULT) == key_result_score(RANGE, 60, DEFAULT) == 1.0
    assert key_result_score(RANGE, 40, STRICT) == key_result_score(RANGE, 60, STRICT) == 0.0


def test_target_equal_to_baseline_scores_reached_or_not() -> None:
    flat = Metric.model_construct(kind=MetricKind.NUMERIC, direction=Direction.INCREASE,
                                  baseline=10.0, target=10.0, target_max=None, milestones=())
    assert key_result_score(flat, 10, DEFAULT) == 1.0
    assert key_result_score(flat, 9, DEFAULT) == 0.0


def test_weighted_rollup_uses_weights() -> None:
    assert weighted_rollup([(1.0, 3), (0.0, 1)], DEFAULT) == pytest.approx(0.75)


def test_weighted_rollup_of_nothing_is_none() -> None:
    assert weighted_rollup([], DEFAULT) is None


def test_rollup_caps_each_child_unless_uncapped() -> None:
    assert weighted_rollup([(1.5, 1), (0.5, 1)], DEFAULT) == pytest.approx(0.75)
    assert weighted_rollup([(1.5, 1), (0.5, 1)], UNCAPPED) == pytest.approx(1.0)


def test_cascade_kr_without_own_data_takes_its_childrens_mean() -> None:
    rolled = cascade_rollup(
        own_key_results=[("a", 0.0, 1.0, False), ("b", 0.8, 1.0, True)],
        own_score=0.4,
        children=[("a", 0.5), ("a", 0.7), ("b", 0.0)],
        policy=DEFAULT,
    )
    assert rolled == pytest.approx((0.6 + 0.8) / 2)


def test_cascade_objective_without_krs_takes_its_childrens_mean() -> None:
    assert cascade_rollup([], None, [(None, 0.2), (None, 0.6)], DEFAULT) == pytest.approx(0.4)
    assert cascade_rollup([], 0.3, [], DEFAULT) == pytest.approx(0.3)


def test_smart_goal_completion_is_percent() -> None:
    guides = Metric(kind=MetricKind.NUMERIC, baseline=0, target=3)
    assert smart_goal_completion(guides, 1, DEFAULT) == pytest.approx(100 / 3)


@pytest.mark.parametrize(
    ("completion", "as_of", "outcome"),
    [
        (50.0, datetime(2026, 12, 1, tzinfo=UTC), "pending"),
        (100.0, datetime(2026, 12, 1, tzinfo=UTC), "passed"),
        (50.0, datetime(2026, 12, 15, 23, tzinfo=UTC), "pending"),
        (99.0, datetime(2026, 12, 16, tzinfo=UTC), "failed"),
        (100.0, datetime(2026, 12, 16, tzinfo=UTC), "passed"),
    ],
)
def test_smart_goal_passes_or_fails_at_its_deadline(completion: float, as_of: datetime,
                                                     outcome: str) -> None:
    assert smart_goal_outcome(completion, date(2026, 12, 15), as_of) == outcome


def test_expected_progress_is_linear_and_clamped() -> None:
    start, end = datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    assert expected_progress(start, end, datetime(2026, 9, 1, tzinfo=UTC)) == 0.0
    assert expected_progress(start, end, start + (end - start) / 2) == pytest.approx(0.5)
    assert expected_progress(start, end, datetime(2027, 2, 1, tzinfo=UTC)) == 1.0


def test_expectation_by_type() -> None:
    assert expectation(Commitment.COMMITTED, False) == 1.0
    assert expectation(Commitment.ASPIRATIONAL, False) == 0.7
    assert expectation(None, True) == 1.0


@pytest.mark.parametrize(
    ("score", "expected", "expect", "verdict"),
    [
        (0.5, 0.5, 1.0, "on_track"), (0.45, 0.5, 1.0, "on_track"), (0.44, 0.5, 1.0, "at_risk"),
        (0.3, 0.5, 1.0, "at_risk"), (0.29, 0.5, 1.0, "off_track"),
        (0.35, 0.5, 0.7, "on_track"), (0.0, 0.0, 1.0, "on_track"),
    ],
)
def test_pace_against_a_linear_path(score: float, expected: float, expect: float,
                                    verdict: str) -> None:
    assert pace(score, expected, expect, DEFAULT) == verdict


@pytest.mark.parametrize(
    ("score", "band"),
    [(0.0, "red"), (0.3, "red"), (0.39, "red"), (0.4, "yellow"), (0.6, "yellow"),
     (0.69, "yellow"), (0.7, "green"), (1.0, "green")],
)
def test_colour_bands(score: float, band: str) -> None:
    assert colour_band(score) == band
