"""Roll-ups: an objective from its KRs, and a parent's progress view from the cascade."""

from __future__ import annotations

import pytest

from projections.scoring import ScoringPolicy, cascade_rollup, weighted_rollup

DEFAULT = ScoringPolicy()
UNCAPPED_ROLLUP = ScoringPolicy(cap_key_result_at_one=False, cap_rollup_at_one=False)


# weighted_rollup


def test_rollup_of_equal_weights_is_the_plain_mean() -> None:
    assert weighted_rollup([(0.2, 1.0), (0.6, 1.0)], DEFAULT) == pytest.approx(0.4)


def test_rollup_with_unequal_weights_leans_towards_the_heavier_kr() -> None:
    assert weighted_rollup([(1.0, 3.0), (0.0, 1.0)], DEFAULT) == pytest.approx(0.75)


def test_rollup_scales_with_relative_not_absolute_weights() -> None:
    small = weighted_rollup([(0.5, 1.0), (1.0, 2.0)], DEFAULT)
    large = weighted_rollup([(0.5, 50.0), (1.0, 100.0)], DEFAULT)
    assert small == pytest.approx(large)
    assert small == pytest.approx(2.5 / 3)


def test_rollup_of_no_krs_is_none_not_zero() -> None:
    assert weighted_rollup([], DEFAULT) is None


def test_rollup_of_one_kr_is_its_score() -> None:
    assert weighted_rollup([(0.3, 7.0)], DEFAULT) == pytest.approx(0.3)


def test_rollup_accepts_a_one_shot_iterator() -> None:
    pairs = iter([(0.0, 1.0), (1.0, 1.0)])
    assert weighted_rollup(pairs, DEFAULT) == pytest.approx(0.5)


def test_rollup_caps_each_over_achieved_kr_so_it_cannot_hide_a_miss() -> None:
    assert weighted_rollup([(1.8, 1.0), (0.2, 1.0)], DEFAULT) == pytest.approx(0.6)


def test_rollup_lets_over_achievement_offset_when_uncapped() -> None:
    assert weighted_rollup([(1.8, 1.0), (0.2, 1.0)], UNCAPPED_ROLLUP) == pytest.approx(1.0)


def test_rollup_keeps_negative_scores_it_is_given() -> None:
    assert weighted_rollup([(-0.4, 1.0), (0.8, 1.0)], DEFAULT) == pytest.approx(0.2)


@pytest.mark.parametrize("weight", [0.0, -1.0, float("nan"), float("inf")])
def test_rollup_refuses_a_weight_that_is_not_positive_and_finite(weight: float) -> None:
    with pytest.raises(ValueError, match="weights"):
        weighted_rollup([(0.5, 1.0), (0.5, weight)], DEFAULT)


# cascade_rollup


def test_cascade_without_children_equals_the_own_weighted_score() -> None:
    own = [("kr1", 0.5, 1.0, True), ("kr2", 1.0, 3.0, True)]
    rolled = cascade_rollup(own_key_results=own, own_score=0.875, children=[], policy=DEFAULT)
    assert rolled == pytest.approx(0.875)


def test_cascade_kr_without_own_data_takes_the_mean_of_its_aligned_children() -> None:
    own = [("kr1", 0.0, 1.0, False)]
    children = [("kr1", 0.2), ("kr1", 0.6)]
    rolled = cascade_rollup(own_key_results=own, own_score=0.0, children=children, policy=DEFAULT)
    assert rolled == pytest.approx(0.4)


def test_cascade_kr_with_own_data_keeps_its_own_score_despite_children() -> None:
    own = [("kr1", 0.3, 1.0, True)]
    children = [("kr1", 1.0)]
    rolled = cascade_rollup(own_key_results=own, own_score=0.3, children=children, policy=DEFAULT)
    assert rolled == pytest.approx(0.3)


def test_cascade_mixes_own_and_child_views_with_the_krs_weights() -> None:
    own = [("kr1", 0.5, 1.0, True), ("kr2", 0.0, 3.0, False)]
    children = [("kr2", 1.0)]
    rolled = cascade_rollup(own_key_results=own, own_score=0.125, children=children, policy=DEFAULT)
    assert rolled == pytest.approx((0.5 * 1 + 1.0 * 3) / 4)


def test_cascade_kr_without_data_or_children_keeps_its_zero() -> None:
    own = [("kr1", 1.0, 1.0, True), ("kr2", 0.0, 1.0, False)]
    children = [("kr1", 0.0)]
    rolled = cascade_rollup(own_key_results=own, own_score=0.5, children=children, policy=DEFAULT)
    assert rolled == pytest.approx(0.5)


def test_cascade_ignores_children_without_a_score() -> None:
    own = [("kr1", 0.0, 1.0, False)]
    children = [("kr1", None), ("kr1", 0.8)]
    rolled = cascade_rollup(own_key_results=own, own_score=0.0, children=children, policy=DEFAULT)
    assert rolled == pytest.approx(0.8)


def test_cascade_kr_whose_children_all_lack_a_score_keeps_its_own() -> None:
    own = [("kr1", 0.0, 1.0, False)]
    children: list[tuple[str | None, float | None]] = [("kr1", None)]
    rolled = cascade_rollup(own_key_results=own, own_score=0.0, children=children, policy=DEFAULT)
    assert rolled == 0.0


def test_cascade_children_aligned_to_the_whole_objective_do_not_move_its_krs() -> None:
    own = [("kr1", 0.0, 1.0, False)]
    children = [(None, 1.0)]
    rolled = cascade_rollup(own_key_results=own, own_score=0.0, children=children, policy=DEFAULT)
    assert rolled == 0.0


def test_cascade_children_aligned_to_an_unknown_kr_are_ignored() -> None:
    own = [("kr1", 0.0, 1.0, False)]
    children = [("gone", 1.0)]
    rolled = cascade_rollup(own_key_results=own, own_score=0.0, children=children, policy=DEFAULT)
    assert rolled == 0.0


def test_cascade_goal_without_krs_shows_the_mean_of_all_its_children() -> None:
    children = [(None, 0.2), ("kr9", 0.4)]
    rolled = cascade_rollup(own_key_results=[], own_score=None, children=children, policy=DEFAULT)
    assert rolled == pytest.approx(0.3)


def test_cascade_goal_without_krs_or_children_shows_its_own_score() -> None:
    assert cascade_rollup(own_key_results=[], own_score=None, children=[], policy=DEFAULT) is None
    smart = cascade_rollup(own_key_results=[], own_score=0.42, children=[], policy=DEFAULT)
    assert smart == pytest.approx(0.42)


def test_cascade_caps_over_achieving_children_in_the_mean_by_default() -> None:
    own = [("kr1", 0.0, 1.0, False)]
    children = [("kr1", 1.6), ("kr1", 0.0)]
    capped = cascade_rollup(own_key_results=own, own_score=0.0, children=children, policy=DEFAULT)
    raw = cascade_rollup(
        own_key_results=own, own_score=0.0, children=children, policy=UNCAPPED_ROLLUP
    )
    assert capped == pytest.approx(0.5)
    assert raw == pytest.approx(0.8)


def test_cascade_recurses_naturally_through_levels() -> None:
    # individual -> team KR (no own data) -> company KR (no own data)
    team = cascade_rollup(
        own_key_results=[("t1", 0.0, 1.0, False)],
        own_score=0.0,
        children=[("t1", 0.6)],
        policy=DEFAULT,
    )
    company = cascade_rollup(
        own_key_results=[("c1", 0.0, 1.0, False), ("c2", 1.0, 1.0, True)],
        own_score=0.5,
        children=[("c1", team)],
        policy=DEFAULT,
    )
    assert team == pytest.approx(0.6)
    assert company == pytest.approx(0.8)


def test_cascade_accepts_positional_arguments() -> None:
    assert cascade_rollup([], None, [(None, 0.2), (None, 0.6)], DEFAULT) == pytest.approx(0.4)
