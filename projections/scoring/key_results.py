"""The score of one key result (or SMART goal metric) from its latest value."""

from __future__ import annotations

import math

from events.values import Direction, Metric, MetricKind
from projections.scoring.policy import ScoringPolicy


def adjustment_scores(
    before: Metric, after: Metric, value: float | None, policy: ScoringPolicy
) -> tuple[float, float]:
    """The KR's score at an adjustment under its original and its revised metric."""
    return key_result_score(before, value, policy), key_result_score(after, value, policy)


def key_result_score(metric: Metric, value: float | None, policy: ScoringPolicy) -> float:
    """Progress of ``value`` towards the metric's target: 0.0..1.0 under the default policy."""
    # No observation yet (or a value that is not a number) is no progress, for every kind.
    if value is None or math.isnan(value):
        return 0.0
    if metric.kind is MetricKind.BINARY:
        # Done (1) or not done (0); anything from 1 up counts as done.
        return 1.0 if value >= 1.0 else 0.0
    if metric.kind is MetricKind.MILESTONE and metric.milestones:
        # A milestone is reached or not: 2.5 means two reached.
        reached = math.floor(value) if math.isfinite(value) else value
        return _bounded(reached / len(metric.milestones), policy)
    direction = metric.direction
    if direction is Direction.KEEP_ABOVE:
        return _pass(_beyond(value, metric.target, policy))
    if direction is Direction.KEEP_BELOW:
        return _pass(_beyond(metric.target, value, policy))
    if direction is Direction.RANGE:
        # A range without an upper bound (only possible when validation was bypassed)
        # is the single point ``target``.
        upper = metric.target if metric.target_max is None else metric.target_max
        return _pass(_beyond(value, metric.target, policy) and _beyond(upper, value, policy))
    return _bounded(_linear(metric, value), policy)


def _linear(metric: Metric, value: float) -> float:
    """Share of the way from baseline to target; increase and decrease share one formula."""
    # (value - baseline) / (target - baseline) equals (baseline - value) / (baseline - target),
    # so the decrease formula needs no separate branch.
    span = metric.target - metric.baseline
    if span == 0.0:
        # Metric forbids target == baseline; stay total anyway: reached or not.
        if metric.direction is Direction.DECREASE:
            return 1.0 if value <= metric.target else 0.0
        return 1.0 if value >= metric.target else 0.0
    return (value - metric.baseline) / span


def _beyond(high: float, low: float, policy: ScoringPolicy) -> bool:
    """``high >= low`` under an inclusive policy, ``high > low`` under a strict one."""
    return high >= low if policy.keep_comparison == "inclusive" else high > low


def _pass(passed: bool) -> float:
    # Keep and range metrics are pass/fail: being almost inside the band is still outside.
    return 1.0 if passed else 0.0


def _bounded(progress: float, policy: ScoringPolicy) -> float:
    """Apply the policy's floor at 0 and cap at 1."""
    if policy.floor_at_zero:
        progress = max(progress, 0.0)
    if policy.cap_key_result_at_one:
        progress = min(progress, 1.0)
    return progress
