"""Where a goal should be by now, whether it is on pace, and its colour."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from events.values import Commitment
from projections.scoring.policy import ScoringPolicy, at_least

Pace = Literal["on_track", "at_risk", "off_track"]
Band = Literal["red", "yellow", "green"]


def expected_progress(cycle_start: datetime, cycle_end: datetime, as_of: datetime) -> float:
    """Share of the cycle elapsed at ``as_of``: 0.0 before the start, 1.0 from the end on."""
    # cycle_end is exclusive, the first instant after the cycle (Cycle.ends_at).
    if cycle_end <= cycle_start:
        # An empty cycle is all-or-nothing: over once its end has come.
        return 1.0 if as_of >= cycle_end else 0.0
    elapsed = (as_of - cycle_start) / (cycle_end - cycle_start)
    return min(max(elapsed, 0.0), 1.0)


def expectation(commitment: Commitment | None, is_smart_goal: bool, policy: ScoringPolicy) -> float:
    """The score that counts as success: by default 1.0 committed or SMART, 0.7 aspirational."""
    # An objective without a commitment (older data) is held to the committed standard.
    if is_smart_goal:
        return policy.smart_goal_expectation
    if commitment is Commitment.ASPIRATIONAL:
        return policy.aspirational_expectation
    return policy.committed_expectation


def meets_expectation(score: float | None, expectation: float) -> bool | None:
    """Whether ``score`` reaches the expectation; None while there is nothing to score."""
    return None if score is None else at_least(score, expectation)


def pace(score: float, expected: float, expectation: float, policy: ScoringPolicy) -> Pace:
    """On track, at risk or off track, comparing ``score`` with ``expected * expectation``."""
    # The bar is where a linear path to the expectation would be now; at the cycle's start
    # it is 0, so every goal starts on track.
    bar = expected * expectation
    if at_least(score, policy.at_risk_ratio * bar):
        return "on_track"
    if at_least(score, policy.off_track_ratio * bar):
        return "at_risk"
    return "off_track"


def colour_band(score: float, policy: ScoringPolicy) -> Band:
    """By default red below 0.4, yellow from 0.4 to below 0.7, green from 0.7 (uncapped too)."""
    # The convention names 0-0.3 red, 0.4-0.6 yellow, 0.7-1.0 green; the gaps fall to the
    # lower band, so a colour is only earned once its lowest score is reached.
    if at_least(score, policy.green_from):
        return "green"
    if at_least(score, policy.yellow_from):
        return "yellow"
    return "red"
