"""Expected progress through a cycle, expectation, pace and colour bands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from events.values import Commitment, Cycle
from projections.scoring import (
    ScoringPolicy,
    colour_band,
    expectation,
    expected_progress,
    pace,
)

DEFAULT = ScoringPolicy()
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 11, tzinfo=UTC)  # exclusive: ten days


# expected_progress


def test_expected_progress_before_the_cycle_is_zero() -> None:
    assert expected_progress(START, END, START - timedelta(days=3)) == 0.0


def test_expected_progress_at_the_start_is_zero() -> None:
    assert expected_progress(START, END, START) == 0.0


def test_expected_progress_mid_cycle_is_linear() -> None:
    assert expected_progress(START, END, START + timedelta(days=5)) == pytest.approx(0.5)
    assert expected_progress(START, END, START + timedelta(hours=36)) == pytest.approx(0.15)


def test_expected_progress_at_the_exclusive_end_is_one() -> None:
    assert expected_progress(START, END, END) == 1.0


def test_expected_progress_after_the_cycle_is_clamped_at_one() -> None:
    assert expected_progress(START, END, END + timedelta(days=30)) == 1.0


def test_expected_progress_of_an_empty_cycle_is_all_or_nothing() -> None:
    assert expected_progress(START, START, START - timedelta(seconds=1)) == 0.0
    assert expected_progress(START, START, START) == 1.0


def test_expected_progress_works_with_a_cycles_own_instants() -> None:
    q1 = Cycle.quarter("2026-q1")  # 90 days
    mid = q1.starts_at + timedelta(days=45)
    assert expected_progress(q1.starts_at, q1.ends_at, mid) == pytest.approx(0.5)


def test_expected_progress_compares_instants_across_time_zones() -> None:
    # 02:00 at UTC+2 on day six is midnight UTC, exactly halfway.
    halfway = datetime(2026, 1, 6, 2, tzinfo=timezone(timedelta(hours=2)))
    assert expected_progress(START, END, halfway) == pytest.approx(0.5)


# expectation


def test_committed_objective_expects_full_delivery() -> None:
    assert expectation(Commitment.COMMITTED, is_smart_goal=False, policy=DEFAULT) == 1.0


def test_aspirational_objective_counts_seventy_percent_as_success() -> None:
    assert expectation(
        Commitment.ASPIRATIONAL, is_smart_goal=False, policy=DEFAULT
    ) == pytest.approx(0.7)


@pytest.mark.parametrize("commitment", [None, Commitment.COMMITTED, Commitment.ASPIRATIONAL])
def test_smart_goal_expects_full_delivery_whatever_its_commitment(
    commitment: Commitment | None,
) -> None:
    assert expectation(commitment, is_smart_goal=True, policy=DEFAULT) == 1.0


def test_objective_without_a_commitment_is_held_to_the_committed_standard() -> None:
    assert expectation(None, is_smart_goal=False, policy=DEFAULT) == 1.0


# pace


def test_every_goal_is_on_track_before_its_cycle_starts() -> None:
    assert pace(0.0, 0.0, 1.0, DEFAULT) == "on_track"


def test_goal_at_or_ahead_of_the_bar_is_on_track() -> None:
    assert pace(0.5, 0.5, 1.0, DEFAULT) == "on_track"
    assert pace(0.9, 0.5, 1.0, DEFAULT) == "on_track"


def test_goal_exactly_at_the_at_risk_ratio_is_still_on_track() -> None:
    # bar 0.7 (aspirational, cycle over); 0.9 of it is 0.63
    assert pace(0.63, 1.0, 0.7, DEFAULT) == "on_track"


def test_goal_just_below_the_at_risk_ratio_is_at_risk() -> None:
    assert pace(0.6299, 1.0, 0.7, DEFAULT) == "at_risk"


def test_goal_exactly_at_the_off_track_ratio_is_at_risk() -> None:
    assert pace(0.6, 1.0, 1.0, DEFAULT) == "at_risk"


def test_goal_just_below_the_off_track_ratio_is_off_track() -> None:
    assert pace(0.5999, 1.0, 1.0, DEFAULT) == "off_track"


def test_goal_with_no_progress_mid_cycle_is_off_track() -> None:
    assert pace(0.0, 0.5, 1.0, DEFAULT) == "off_track"


def test_aspirational_goal_is_judged_against_a_lower_bar() -> None:
    assert pace(0.7, 1.0, 0.7, DEFAULT) == "on_track"
    assert pace(0.7, 1.0, 1.0, DEFAULT) == "at_risk"


def test_pace_ratios_are_settings() -> None:
    lenient = ScoringPolicy(at_risk_ratio=0.5, off_track_ratio=0.2)
    assert pace(0.5, 1.0, 1.0, lenient) == "on_track"
    assert pace(0.2, 1.0, 1.0, lenient) == "at_risk"
    assert pace(0.19, 1.0, 1.0, lenient) == "off_track"


# colour_band


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (-0.5, "red"),
        (0.0, "red"),
        (0.3, "red"),
        (0.35, "red"),
        (0.3999, "red"),
        (0.4, "yellow"),
        (0.6, "yellow"),
        (0.65, "yellow"),
        (0.6999, "yellow"),
        (0.7, "green"),
        (1.0, "green"),
        (1.7, "green"),
    ],
)
def test_colour_band_is_red_below_point_four_green_from_point_seven(
    score: float, band: str
) -> None:
    assert colour_band(score, DEFAULT) == band


def test_colour_band_forgives_float_noise_at_a_boundary() -> None:
    assert colour_band(0.7 - 1e-12, DEFAULT) == "green"
    assert colour_band(0.1 * 4 - 1e-12, DEFAULT) == "yellow"
