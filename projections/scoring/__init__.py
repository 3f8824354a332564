"""Pure scoring rules shared by the live projection, replay audits and the API (docs/scoring.md).

No I/O and no clock: every instant is an argument, so a replay scores exactly as the live
projection did, given the same policy.
"""

from projections.scoring.checkins import ConfidenceReading, latest_confidence, superseded
from projections.scoring.key_results import adjustment_scores, key_result_score
from projections.scoring.pacing import (
    Band,
    Pace,
    colour_band,
    expectation,
    expected_progress,
    meets_expectation,
    pace,
)
from projections.scoring.policy import KeepComparison, ScoringPolicy
from projections.scoring.rollup import AlignedChild, OwnKeyResult, cascade_rollup, weighted_rollup
from projections.scoring.smart import (
    Outcome,
    deadline_instant,
    smart_goal_completion,
    smart_goal_outcome,
)

__all__ = [
    "AlignedChild",
    "Band",
    "ConfidenceReading",
    "KeepComparison",
    "Outcome",
    "OwnKeyResult",
    "Pace",
    "ScoringPolicy",
    "adjustment_scores",
    "cascade_rollup",
    "colour_band",
    "deadline_instant",
    "expectation",
    "expected_progress",
    "key_result_score",
    "latest_confidence",
    "meets_expectation",
    "pace",
    "smart_goal_completion",
    "smart_goal_outcome",
    "superseded",
    "weighted_rollup",
]
