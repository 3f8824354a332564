"""Forecasts: given a KR's check-ins, when the trend is extrapolated to the cycle's end,
then the value, score and band (pure, time passed in)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from events.values import Direction, Metric, MetricKind
from projections.read_models.goals import key_result_forecast
from projections.scoring import ScoringPolicy
from projections.scoring.forecast import forecast

START = datetime(2026, 10, 1, tzinfo=UTC)
END = START + timedelta(days=90)
DAY = timedelta(days=1)
DEFAULT = ScoringPolicy()
SIGNUPS = Metric(kind=MetricKind.NUMERIC, baseline=0, target=100)


def test_a_steady_trend_lands_where_the_line_points_with_no_band() -> None:
    points = [(START + i * 10 * DAY, 10.0 * i) for i in range(4)]  # 1 signup a day
    found = forecast(points, END, SIGNUPS, DEFAULT)
    assert found is not None
    assert found.value == pytest.approx(90.0)
    assert found.score == pytest.approx(0.9)
    assert (found.score_low, found.score_high) == pytest.approx((0.9, 0.9))
    assert found.sentence() == "likely to land at 0.90 (0.90\u20130.90)"


def test_scattered_check_ins_widen_the_band_around_the_fit() -> None:
    values = [0.0, 14.0, 16.0, 34.0, 36.0]
    points = [(START + i * 10 * DAY, v) for i, v in enumerate(values)]
    found = forecast(points, END, SIGNUPS, DEFAULT)
    assert found is not None
    assert found.value == pytest.approx(1.6 + 0.92 * 90)  # slope 0.92 a day, intercept 1.6
    assert found.value_low < found.value < found.value_high
    assert found.score_low < found.score < found.score_high


def test_a_decrease_metric_keeps_its_score_band_ordered() -> None:
    churn = Metric(kind=MetricKind.PERCENTAGE, direction=Direction.DECREASE, baseline=10, target=5)
    points = [(START, 10.0), (START + 30 * DAY, 9.0), (START + 60 * DAY, 8.5)]
    found = forecast(points, END, churn, DEFAULT)
    assert found is not None
    assert found.score_low <= found.score <= found.score_high


def test_fewer_than_two_instants_give_no_forecast() -> None:
    assert forecast([], END, SIGNUPS, DEFAULT) is None
    assert forecast([(START, 1.0), (START, 2.0)], END, SIGNUPS, DEFAULT) is None


def test_the_api_shows_the_score_band_the_method_and_the_sentence() -> None:
    points = [(START, 0.0), (START + 30 * DAY, 40.0), (START + 60 * DAY, 50.0)]
    shown = key_result_forecast(points, END, SIGNUPS, DEFAULT)
    found = forecast(points, END, SIGNUPS, DEFAULT)
    assert shown is not None
    assert found is not None
    assert (shown.value, shown.value_low, shown.value_high) == (
        found.value,
        found.value_low,
        found.value_high,
    )
    assert (shown.score, shown.low, shown.high) == (found.score, found.score_low, found.score_high)
    assert shown.low < shown.score < shown.high
    assert (shown.at, shown.observations, shown.method) == (END, 3, "least_squares")
    assert shown.sentence == found.sentence()
    assert shown.sentence.startswith(f"likely to land at {found.score:.2f} (")


def test_the_api_shows_no_forecast_for_one_check_in() -> None:
    assert key_result_forecast([(START, 10.0)], END, SIGNUPS, DEFAULT) is None
