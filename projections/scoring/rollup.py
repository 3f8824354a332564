"""Roll-ups: an objective's score from its KRs, and a parent's progress view from the cascade."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from projections.scoring.policy import ScoringPolicy

OwnKeyResult = tuple[str, float, float, bool]
"""A parent's own KR: (key_result_id, score, weight, has its own value)."""

AlignedChild = tuple[str | None, float | None]
"""A child in the cascade: (parent KR it serves or None for the whole objective, its score)."""


def weighted_rollup(
    scores_and_weights: Iterable[tuple[float, float]], policy: ScoringPolicy
) -> float | None:
    """Weighted mean of (score, weight) pairs; None when there are none."""
    pairs = list(scores_and_weights)
    if not pairs:
        # No KRs means no measure, which is different from measured zero progress.
        return None
    total_weight = 0.0
    weighted = 0.0
    for score, weight in pairs:
        if not (math.isfinite(weight) and weight > 0.0):
            raise ValueError(f"roll-up weights must be positive finite numbers, got {weight!r}")
        # Capping each contribution (not the total) keeps one over-achieved KR from
        # hiding a missed one.
        contribution = min(score, 1.0) if policy.cap_rollup_at_one else score
        weighted += contribution * weight
        total_weight += weight
    return weighted / total_weight


def cascade_rollup(
    own_key_results: Sequence[OwnKeyResult],
    own_score: float | None,
    children: Sequence[AlignedChild],
    policy: ScoringPolicy,
) -> float | None:
    """A parent's progress view: its own KRs, with children standing in for KRs without data.

    - A KR with its own value keeps its own score; aligned children do not override it.
    - A KR without a value takes the plain mean of the children aligned to it (those that
      have a score); with no such children it keeps its own score (0.0: no data).
    - The view is the weighted roll-up of those KR scores, with the KRs' own weights.
    - A goal without KRs (an empty objective, a SMART goal) shows the mean of all its
      scored children, or its own score when it has none.
    - Children aligned to the objective as a whole do not move a view that has KRs: the
      objective is measured by its KRs; such children are context in the tree.
    """
    if not own_key_results:
        scored = [score for _, score in children if score is not None]
        return _mean(scored, policy) if scored else own_score
    by_key_result: dict[str, list[float]] = {}
    for key_result_id, score in children:
        if key_result_id is not None and score is not None:
            by_key_result.setdefault(key_result_id, []).append(score)
    views: list[tuple[float, float]] = []
    for key_result_id, score, weight, has_data in own_key_results:
        aligned = by_key_result.get(key_result_id)
        # The KR's own data is the owner's statement of progress; children are a proxy.
        view = score if has_data or not aligned else _mean(aligned, policy)
        views.append((view, weight))
    return weighted_rollup(views, policy)


def _mean(scores: Sequence[float], policy: ScoringPolicy) -> float:
    """Plain mean of at least one score, capped per the roll-up policy."""
    # Children carry no weight relative to each other, so all count the same.
    capped = [min(score, 1.0) if policy.cap_rollup_at_one else score for score in scores]
    return sum(capped) / len(capped)
