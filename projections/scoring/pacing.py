"""Where a goal should be by now, whether it is on pace, and its colour."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from events.values import Commitment
from projections.scoring.policy import ScoringPolicy, at_least

Pace = Literal["on_track", "at_risk", "off_track"]
Band = Literal["red", "yellow", "green"]

COMMITTED_EXPECTATION = 1.0
"""Committed OKRs and SMART goals succeed only when fully delivered."""

ASPIRATIONAL_EXPECTATION = 0.7
"""Aspirational (stretch) OKRs count 0.7 as success: the usual OKR convention."""

YELLOW_FROM = 0.4
"""Lowest score shown yellow; everything below is red (so 0.3..0.4 is red)."""

GREEN_FROM = 0.7
"""Lowest score shown green; 0.4 up to (not including) 0.7 is yellow (so 0.6..0.7 is yellow)."""


def expected_progress(cycle_start: datetime, cycle_end: datetime, as_of: datetime) -> float:
    """Share of the cycle elapsed at ``as_of``: 0.0 before the start, 1.0 from the end on."""
    # cycle_end is exclusive, the first instant after the cycle (Cycle.ends_at).
    if cycle_end <= cycle_start:
        # An empty cycle is all-or-nothing: over once its end has come.
        return 1.0 if as_of >= cycle_end else 0.0
    elapsed = (as_of - cycle_start) / (cycle_end - cycle_start)
    return min(max(elapsed, 0.0), 1.0)


def expectation(commitment: Commitment | None, is_smart_goal: bool) -> float:
    """The score that counts as success: 1.0 committed or SMART, 0.7 aspirational."""
    # A SMART goal is a commitment by definition, whatever it is tagged with; an objective
    # without a commitment (older data) is held to the stricter, committed standard.
    if is_smart_goal or commitment is not Commitment.ASPIRATIONAL:
        return COMMITTED_EXPECTATION
    return ASPIRATIONAL_EXPECTATION


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


def colour_band(score: float) -> Band:
    """Red below 0.4, yellow from 0.4 to below 0.7, green from 0.7 (uncapped scores too)."""
    # The convention names 0-0.3 red, 0.4-0.6 yellow, 0.7-1.0 green; the gaps fall to the
    # lower band, so a colour is only earned once its lowest score is reached.
    if at_least(score, GREEN_FROM):
        return "green"
    if at_least(score, YELLOW_FROM):
        return "yellow"
    return "red"
