"""Key result scores: every metric kind and direction, under every policy switch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from events.values import Direction, Metric, MetricKind
from projections.scoring import ScoringPolicy, adjustment_scores, key_result_score, superseded

DEFAULT = ScoringPolicy()
UNCAPPED = ScoringPolicy(cap_key_result_at_one=False)
UNFLOORED = ScoringPolicy(floor_at_zero=False)
STRICT = ScoringPolicy(keep_comparison="strict")


def numeric(
    direction: Direction, target: float, baseline: float = 0.0, target_max: float | None = None
) -> Metric:
    return Metric(
        kind=MetricKind.NUMERIC,
        direction=direction,
        baseline=baseline,
        target=target,
        target_max=target_max,
    )


INCREASE = numeric(Direction.INCREASE, baseline=100.0, target=200.0)
DECREASE = numeric(Direction.DECREASE, baseline=10.0, target=2.0)
KEEP_ABOVE = numeric(Direction.KEEP_ABOVE, target=99.5)
KEEP_BELOW = numeric(Direction.KEEP_BELOW, target=2.0)
RANGE = numeric(Direction.RANGE, target=40.0, target_max=60.0)
BINARY = Metric(kind=MetricKind.BINARY, target=1.0)
MILESTONES = Metric(kind=MetricKind.MILESTONE, target=4.0, milestones=("a", "b", "c", "d"))


# increase


def test_increase_kr_halfway_scores_half() -> None:
    assert key_result_score(INCREASE, 150.0, DEFAULT) == pytest.approx(0.5)


def test_increase_kr_at_baseline_scores_zero() -> None:
    assert key_result_score(INCREASE, 100.0, DEFAULT) == 0.0


def test_increase_kr_exactly_on_target_scores_one() -> None:
    assert key_result_score(INCREASE, 200.0, DEFAULT) == 1.0


def test_increase_kr_beyond_target_is_capped_at_one_by_default() -> None:
    assert key_result_score(INCREASE, 250.0, DEFAULT) == 1.0


def test_increase_kr_beyond_target_exceeds_one_when_uncapped() -> None:
    assert key_result_score(INCREASE, 250.0, UNCAPPED) == pytest.approx(1.5)


def test_increase_kr_below_baseline_is_floored_at_zero_by_default() -> None:
    assert key_result_score(INCREASE, 80.0, DEFAULT) == 0.0


def test_increase_kr_below_baseline_goes_negative_when_not_floored() -> None:
    assert key_result_score(INCREASE, 80.0, UNFLOORED) == pytest.approx(-0.2)


def test_increase_kr_with_a_nonzero_baseline_measures_from_the_baseline() -> None:
    metric = numeric(Direction.INCREASE, baseline=20.0, target=30.0)
    assert key_result_score(metric, 27.5, DEFAULT) == pytest.approx(0.75)


def test_increase_kr_with_fractional_bounds_scores_without_surprises() -> None:
    metric = numeric(Direction.INCREASE, baseline=0.1, target=0.3)
    assert key_result_score(metric, 0.2, DEFAULT) == pytest.approx(0.5)


# decrease


def test_decrease_kr_halfway_down_scores_half() -> None:
    assert key_result_score(DECREASE, 6.0, DEFAULT) == pytest.approx(0.5)


def test_decrease_kr_quarter_of_the_way_down_scores_a_quarter() -> None:
    assert key_result_score(DECREASE, 8.0, DEFAULT) == pytest.approx(0.25)


def test_decrease_kr_at_target_scores_one() -> None:
    assert key_result_score(DECREASE, 2.0, DEFAULT) == 1.0


def test_decrease_kr_below_target_is_capped_at_one_by_default() -> None:
    assert key_result_score(DECREASE, 0.0, DEFAULT) == 1.0


def test_decrease_kr_below_target_exceeds_one_when_uncapped() -> None:
    assert key_result_score(DECREASE, 0.0, UNCAPPED) == pytest.approx(1.25)


def test_decrease_kr_above_baseline_is_floored_at_zero_by_default() -> None:
    assert key_result_score(DECREASE, 14.0, DEFAULT) == 0.0


def test_decrease_kr_above_baseline_goes_negative_when_not_floored() -> None:
    assert key_result_score(DECREASE, 14.0, UNFLOORED) == pytest.approx(-0.5)


def test_uncapped_and_unfloored_policy_leaves_progress_raw_both_ways() -> None:
    raw = ScoringPolicy(cap_key_result_at_one=False, floor_at_zero=False)
    assert key_result_score(DECREASE, 14.0, raw) == pytest.approx(-0.5)
    assert key_result_score(DECREASE, -6.0, raw) == pytest.approx(2.0)


def test_capping_does_not_floor_and_flooring_does_not_cap() -> None:
    assert key_result_score(INCREASE, 300.0, UNFLOORED) == 1.0
    assert key_result_score(INCREASE, 0.0, UNCAPPED) == 0.0


# target equal to baseline (validation bypassed): still total


def test_increase_kr_with_target_equal_to_baseline_scores_one_once_reached() -> None:
    metric = Metric.model_construct(
        kind=MetricKind.NUMERIC, direction=Direction.INCREASE, baseline=5.0, target=5.0
    )
    assert key_result_score(metric, 5.0, DEFAULT) == 1.0
    assert key_result_score(metric, 6.0, DEFAULT) == 1.0
    assert key_result_score(metric, 4.0, DEFAULT) == 0.0


def test_decrease_kr_with_target_equal_to_baseline_scores_one_once_reached() -> None:
    metric = Metric.model_construct(
        kind=MetricKind.NUMERIC, direction=Direction.DECREASE, baseline=5.0, target=5.0
    )
    assert key_result_score(metric, 5.0, DEFAULT) == 1.0
    assert key_result_score(metric, 4.0, DEFAULT) == 1.0
    assert key_result_score(metric, 6.0, DEFAULT) == 0.0


# keep_above / keep_below


def test_keep_above_kr_above_threshold_passes() -> None:
    assert key_result_score(KEEP_ABOVE, 99.9, DEFAULT) == 1.0


def test_keep_above_kr_below_threshold_fails_even_when_close() -> None:
    assert key_result_score(KEEP_ABOVE, 99.49, DEFAULT) == 0.0


def test_keep_above_kr_exactly_on_threshold_passes_when_inclusive() -> None:
    assert key_result_score(KEEP_ABOVE, 99.5, DEFAULT) == 1.0


def test_keep_above_kr_exactly_on_threshold_fails_when_strict() -> None:
    assert key_result_score(KEEP_ABOVE, 99.5, STRICT) == 0.0


def test_keep_below_kr_below_threshold_passes() -> None:
    assert key_result_score(KEEP_BELOW, 1.5, DEFAULT) == 1.0
    assert key_result_score(KEEP_BELOW, 1.5, STRICT) == 1.0


def test_keep_below_kr_above_threshold_fails() -> None:
    assert key_result_score(KEEP_BELOW, 2.01, DEFAULT) == 0.0


def test_keep_below_kr_exact_hit_passes_when_inclusive() -> None:
    assert key_result_score(KEEP_BELOW, 2.0, DEFAULT) == 1.0


def test_keep_below_kr_exact_hit_fails_when_strict() -> None:
    assert key_result_score(KEEP_BELOW, 2.0, STRICT) == 0.0


def test_keep_kr_scores_are_not_changed_by_cap_or_floor_switches() -> None:
    raw = ScoringPolicy(cap_key_result_at_one=False, floor_at_zero=False)
    assert key_result_score(KEEP_ABOVE, 500.0, raw) == 1.0
    assert key_result_score(KEEP_BELOW, 500.0, raw) == 0.0


# range


@pytest.mark.parametrize("value", [40.0, 50.0, 60.0])
def test_range_kr_inside_band_or_on_its_bounds_passes_when_inclusive(value: float) -> None:
    assert key_result_score(RANGE, value, DEFAULT) == 1.0


@pytest.mark.parametrize("value", [39.99, 60.01, -5.0, 1000.0])
def test_range_kr_outside_band_fails(value: float) -> None:
    assert key_result_score(RANGE, value, DEFAULT) == 0.0


@pytest.mark.parametrize("value", [40.0, 60.0])
def test_range_kr_on_a_bound_fails_when_strict(value: float) -> None:
    assert key_result_score(RANGE, value, STRICT) == 0.0


def test_range_kr_strictly_inside_band_passes_when_strict() -> None:
    assert key_result_score(RANGE, 50.0, STRICT) == 1.0


def test_range_kr_with_a_single_point_band_passes_only_on_the_point() -> None:
    point = numeric(Direction.RANGE, target=5.0, target_max=5.0)
    assert key_result_score(point, 5.0, DEFAULT) == 1.0
    assert key_result_score(point, 5.0, STRICT) == 0.0
    assert key_result_score(point, 5.1, DEFAULT) == 0.0


def test_range_kr_without_upper_bound_is_treated_as_a_single_point() -> None:
    metric = Metric.model_construct(
        kind=MetricKind.NUMERIC, direction=Direction.RANGE, target=5.0, target_max=None
    )
    assert key_result_score(metric, 5.0, DEFAULT) == 1.0
    assert key_result_score(metric, 6.0, DEFAULT) == 0.0


# binary


def test_binary_kr_done_scores_one() -> None:
    assert key_result_score(BINARY, 1.0, DEFAULT) == 1.0


def test_binary_kr_not_done_scores_zero() -> None:
    assert key_result_score(BINARY, 0.0, DEFAULT) == 0.0


def test_binary_kr_has_no_partial_credit() -> None:
    assert key_result_score(BINARY, 0.99, DEFAULT) == 0.0


def test_binary_kr_above_one_is_still_exactly_one_when_uncapped() -> None:
    assert key_result_score(BINARY, 3.0, UNCAPPED) == 1.0


# milestone


@pytest.mark.parametrize(
    ("reached", "expected"), [(0.0, 0.0), (1.0, 0.25), (2.0, 0.5), (3.0, 0.75), (4.0, 1.0)]
)
def test_milestone_kr_scores_share_of_milestones_reached(reached: float, expected: float) -> None:
    assert key_result_score(MILESTONES, reached, DEFAULT) == pytest.approx(expected)


def test_milestone_kr_counts_only_whole_milestones() -> None:
    assert key_result_score(MILESTONES, 2.9, DEFAULT) == pytest.approx(0.5)


def test_milestone_kr_beyond_the_last_milestone_is_capped_by_default() -> None:
    assert key_result_score(MILESTONES, 5.0, DEFAULT) == 1.0
    assert key_result_score(MILESTONES, 5.0, UNCAPPED) == pytest.approx(1.25)


def test_milestone_kr_with_a_negative_count_is_floored_by_default() -> None:
    assert key_result_score(MILESTONES, -1.0, DEFAULT) == 0.0
    assert key_result_score(MILESTONES, -1.0, UNFLOORED) == pytest.approx(-0.25)


def test_milestone_kr_without_milestones_falls_back_to_its_target() -> None:
    metric = Metric.model_construct(
        kind=MetricKind.MILESTONE, direction=Direction.INCREASE, baseline=0.0, target=2.0
    )
    assert key_result_score(metric, 1.0, DEFAULT) == pytest.approx(0.5)


# no value


@pytest.mark.parametrize(
    "metric", [INCREASE, DECREASE, KEEP_ABOVE, KEEP_BELOW, RANGE, BINARY, MILESTONES]
)
def test_kr_without_a_value_scores_zero(metric: Metric) -> None:
    assert key_result_score(metric, None, DEFAULT) == 0.0
    assert key_result_score(metric, None, UNFLOORED) == 0.0


def test_kr_with_a_nan_value_scores_zero() -> None:
    assert key_result_score(INCREASE, float("nan"), UNFLOORED) == 0.0


def test_kr_with_an_infinite_value_is_capped_not_broken() -> None:
    assert key_result_score(INCREASE, float("inf"), DEFAULT) == 1.0
    assert key_result_score(MILESTONES, float("inf"), DEFAULT) == 1.0


@pytest.mark.parametrize("kind", [MetricKind.PERCENTAGE, MetricKind.CURRENCY])
def test_percentage_and_currency_krs_score_like_numeric_ones(kind: MetricKind) -> None:
    metric = Metric(kind=kind, direction=Direction.INCREASE, baseline=10.0, target=20.0)
    assert key_result_score(metric, 12.0, DEFAULT) == pytest.approx(0.2)


# policy


def test_default_policy_caps_floors_and_compares_inclusively() -> None:
    policy = ScoringPolicy()
    assert policy.cap_key_result_at_one is True
    assert policy.cap_rollup_at_one is True
    assert policy.keep_comparison == "inclusive"
    assert policy.floor_at_zero is True
    assert (policy.at_risk_ratio, policy.off_track_ratio) == (0.9, 0.6)


def test_policy_is_immutable() -> None:
    with pytest.raises(ValidationError):
        DEFAULT.floor_at_zero = False  # type: ignore[misc]


@pytest.mark.parametrize(
    "settings",
    [
        {"keep_comparison": "loose"},
        {"at_risk_ratio": 0.5, "off_track_ratio": 0.6},
        {"off_track_ratio": -0.1},
        {"at_risk_ratio": float("nan")},
    ],
)
def test_policy_refuses_meaningless_settings(settings: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message is not the contract
        ScoringPolicy(**settings)  # type: ignore[arg-type]


def test_an_adjustment_scores_the_value_under_both_metrics() -> None:
    before = numeric(Direction.INCREASE, target=100.0)
    after = numeric(Direction.INCREASE, target=50.0)
    assert adjustment_scores(before, after, 25.0, DEFAULT) == (0.25, 0.5)
    assert adjustment_scores(before, after, None, DEFAULT) == (0.0, 0.0)


def test_an_observation_older_than_the_latest_is_superseded() -> None:
    noon = datetime(2026, 11, 3, 12, tzinfo=UTC)
    assert not superseded(noon, None)
    assert not superseded(noon, noon)  # the same instant: the later-recorded one wins
    assert superseded(noon - timedelta(hours=1), noon)
    assert not superseded(noon + timedelta(hours=1), noon)
