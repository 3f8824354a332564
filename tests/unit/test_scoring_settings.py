"""Scoring under each policy setting: its default, the opposite, and the published examples."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from events.values import Commitment, Direction, Metric, MetricKind
from projections.scoring import (
    ScoringPolicy,
    colour_band,
    expectation,
    expected_progress,
    key_result_score,
    meets_expectation,
    pace,
    weighted_rollup,
)

DEFAULT = ScoringPolicy()
DECREASE = Metric(kind=MetricKind.NUMERIC, direction=Direction.DECREASE, baseline=100, target=60)
KEEP_BELOW = Metric(kind=MetricKind.NUMERIC, direction=Direction.KEEP_BELOW, baseline=40, target=25)
START, END = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 12, 30, tzinfo=UTC)  # 90 days


def day_30_pace(policy: ScoringPolicy) -> str:
    expected = expected_progress(START, END, datetime(2026, 10, 31, tzinfo=UTC))
    return pace(0.30, expected, expectation(Commitment.COMMITTED, False, policy), policy)


def test_a_decrease_kr_at_50_from_100_to_60_scores_1_25_uncapped_and_1_0_by_default() -> None:
    assert key_result_score(DECREASE, 50.0, DEFAULT) == 1.0
    assert key_result_score(DECREASE, 50.0, ScoringPolicy(cap_key_result_at_one=False)) == 1.25


def test_a_keep_below_25_at_exactly_25_scores_0_strict_and_1_by_default() -> None:
    assert key_result_score(KEEP_BELOW, 25.0, DEFAULT) == 1.0
    assert key_result_score(KEEP_BELOW, 25.0, ScoringPolicy(keep_comparison="strict")) == 0.0


def test_progress_0_30_at_day_30_of_90_is_on_track_by_default_and_at_risk_at_ratio_1() -> None:
    assert day_30_pace(DEFAULT) == "on_track"
    assert day_30_pace(ScoringPolicy(at_risk_ratio=1.0)) == "at_risk"


def test_off_track_ratio_decides_where_at_risk_ends() -> None:
    assert day_30_pace(ScoringPolicy(at_risk_ratio=1.0, off_track_ratio=0.6)) == "at_risk"
    assert day_30_pace(ScoringPolicy(at_risk_ratio=1.0, off_track_ratio=1.0)) == "off_track"


def test_cap_rollup_at_one_keeps_an_overachiever_from_hiding_a_miss() -> None:
    pairs = [(1.25, 1.0), (0.0, 1.0)]
    assert weighted_rollup(pairs, DEFAULT) == 0.5
    assert weighted_rollup(pairs, ScoringPolicy(cap_rollup_at_one=False)) == 0.625


def test_floor_at_zero_turns_a_regression_into_zero() -> None:
    assert key_result_score(DECREASE, 110.0, DEFAULT) == 0.0
    assert key_result_score(DECREASE, 110.0, ScoringPolicy(floor_at_zero=False)) == -0.25


@pytest.mark.parametrize(
    ("policy", "bands"),
    [
        (DEFAULT, ("red", "yellow", "green")),
        (ScoringPolicy(yellow_from=0.3, green_from=0.5), ("yellow", "green", "green")),
    ],
)
def test_band_thresholds_are_settings(policy: ScoringPolicy, bands: tuple[str, ...]) -> None:
    assert tuple(colour_band(s, policy) for s in (0.35, 0.6, 0.8)) == bands


@pytest.mark.parametrize(
    ("setting", "commitment", "smart", "default"),
    [
        ("committed_expectation", Commitment.COMMITTED, False, 1.0),
        ("aspirational_expectation", Commitment.ASPIRATIONAL, False, 0.7),
        ("smart_goal_expectation", None, True, 1.0),
    ],
)
def test_each_expectation_is_a_setting(
    setting: str, commitment: Commitment | None, smart: bool, default: float
) -> None:
    changed = ScoringPolicy.model_validate({setting: 0.8})

    assert expectation(commitment, smart, DEFAULT) == default
    assert expectation(commitment, smart, changed) == 0.8


def test_meets_expectation_is_unknown_without_a_score() -> None:
    assert meets_expectation(None, 1.0) is None
    assert meets_expectation(0.7 - 1e-12, 0.7) is True
    assert meets_expectation(0.69, 0.7) is False
