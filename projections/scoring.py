"""Scoring: one pure module used by the live projection, replays and queries.

No I/O and no clock: every instant comes in as an argument. Policies that OKR
products disagree on are fields of ScoringPolicy; docs/scoring.md explains each default.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from statistics import fmean
from typing import Literal

from events.values import Commitment, Direction, Metric

Band = Literal["red", "yellow", "green"]
Pace = Literal["on_track", "at_risk", "off_track"]
Outcome = Literal["pending", "passed", "failed"]

ASPIRATIONAL_EXPECTATION = 0.7


@dataclass(frozen=True)
class ScoringPolicy:
    """Settings where OKR practice differs; the defaults follow the common convention."""

    # A KR at 130 % of its target scores 1.0: grading measures delivery, not luck.
    cap_key_result_at_one: bool = True
    # A roll-up never exceeds 1.0, so one runaway KR cannot hide a failed sibling.
    cap_rollup_at_one: bool = True
    # Hitting a keep-above/keep-below threshold exactly counts as kept.
    keep_comparison: Literal["inclusive", "strict"] = "inclusive"
    # Going backwards scores 0, not a negative that drags unrelated KRs down in roll-ups.
    floor_at_zero: bool = True
    # Pace: score / (expected progress x expectation) at or above this is on track ...
    on_track_ratio: float = 0.9
    # ... at or above this at risk, below it off track.
    at_risk_ratio: float = 0.6


def _bounded(score: float, cap: bool, floor: bool) -> float:
    if cap:
        score = min(score, 1.0)
    if floor:
        score = max(score, 0.0)
    return score


def _passes(value: float, threshold: float, above: bool, policy: ScoringPolicy) -> bool:
    if policy.keep_comparison == "inclusive":
        return value >= threshold if above else value <= threshold
    return value > threshold if above else value < threshold


def key_result_score(metric: Metric, value: float | None, policy: ScoringPolicy) -> float:
    """Progress toward the target as 0.0..1.0 (beyond, or below 0, only if the policy says)."""
    if value is None:
        return 0.0
    direction = metric.direction
    if direction is Direction.KEEP_ABOVE:
        return 1.0 if _passes(value, metric.target, True, policy) else 0.0
    if direction is Direction.KEEP_BELOW:
        return 1.0 if _passes(value, metric.target, False, policy) else 0.0
    if direction is Direction.RANGE:
        upper = metric.target if metric.target_max is None else metric.target_max
        inside = _passes(value, metric.target, True, policy) and _passes(
            value, upper, False, policy
        )
        return 1.0 if inside else 0.0
    span = metric.target - metric.baseline
    if span == 0:  # a degenerate metric: reached or not
        reached = (
            value >= metric.target if direction is Direction.INCREASE else (value <= metric.target)
        )
        return 1.0 if reached else 0.0
    # increase and decrease alike: the share of the way from baseline to target
    progress = (value - metric.baseline) / span
    return _bounded(progress, policy.cap_key_result_at_one, policy.floor_at_zero)


def weighted_rollup(
    scores_and_weights: Iterable[tuple[float, float]], policy: ScoringPolicy
) -> float | None:
    """Weighted mean of child scores (None when there are none)."""
    pairs = [(s, w) for s, w in scores_and_weights if w > 0]
    if not pairs:
        return None
    cap = policy.cap_rollup_at_one
    total = sum(w for _, w in pairs)
    mean = sum((min(s, 1.0) if cap else s) * w for s, w in pairs) / total
    return min(mean, 1.0) if cap else mean


def cascade_rollup(
    own_key_results: Sequence[tuple[str, float, float, bool]],
    own_score: float | None,
    children: Sequence[tuple[str | None, float | None]],
    policy: ScoringPolicy,
) -> float | None:
    """A goal's score seen through the cascade (see docs/scoring.md, "Roll-up").

    ``own_key_results``: (kr id, score, weight, has an observation). ``children``: (the
    KR they serve, or None for the objective itself; their rolled-up score). A KR with
    its own observation keeps it; a KR without one takes the mean of the children that
    serve it. An objective without KRs takes the mean of all its children.
    """

    def mean(scores: Iterable[float | None]) -> float | None:
        known = [s for s in scores if s is not None]
        return fmean(known) if known else None

    if not own_key_results:
        from_children = mean(score for _, score in children)
        return own_score if from_children is None else from_children
    effective = []
    for kr_id, score, weight, observed in own_key_results:
        serving = mean(s for kr, s in children if kr == kr_id)
        effective.append((score if observed or serving is None else serving, weight))
    return weighted_rollup(effective, policy)


def smart_goal_completion(metric: Metric, value: float | None, policy: ScoringPolicy) -> float:
    """Percent complete, 0..100 (a SMART goal is expected to reach 100)."""
    return 100.0 * key_result_score(metric, value, policy)


def smart_goal_outcome(completion: float, deadline: date, as_of: datetime) -> Outcome:
    """Passed once complete; failed if incomplete after the deadline; else pending."""
    if completion >= 100.0:
        return "passed"
    return "failed" if as_of.date() > deadline else "pending"


def expected_progress(cycle_start: datetime, cycle_end: datetime, as_of: datetime) -> float:
    """Linear share of the cycle elapsed at ``as_of``, clamped to 0..1."""
    length = (cycle_end - cycle_start).total_seconds()
    if length <= 0:
        return 1.0
    return min(1.0, max(0.0, (as_of - cycle_start).total_seconds() / length))


def expectation(commitment: Commitment | None, is_smart_goal: bool) -> float:
    """The score that counts as success: 1.0, or 0.7 for aspirational OKRs."""
    if not is_smart_goal and commitment is Commitment.ASPIRATIONAL:
        return ASPIRATIONAL_EXPECTATION
    return 1.0


def pace(score: float, expected: float, expectation: float, policy: ScoringPolicy) -> Pace:
    """Score against where a linear path to the expectation would be by now."""
    due = expected * expectation
    if due <= 0:
        return "on_track"
    ratio = score / due
    if ratio >= policy.on_track_ratio:
        return "on_track"
    return "at_risk" if ratio >= policy.at_risk_ratio else "off_track"


def colour_band(score: float) -> Band:
    """Red below 0.4, yellow below 0.7, green from 0.7 (the 0-0.3/0.4-0.6/0.7-1 bands)."""
    if score < 0.4:
        return "red"
    return "yellow" if score < 0.7 else "green"
