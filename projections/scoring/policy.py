"""The scoring settings OKR products disagree on, with the defaults this service uses."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

KeepComparison = Literal["inclusive", "strict"]

# Scores are computed in floating point, so 0.7 can arrive as 0.6999999999999999. Band and
# pace thresholds are meant in decimal, so comparisons against them forgive this much noise.
# Keep-metric comparisons (value vs target) stay exact: those values are entered, not derived.
TOLERANCE = 1e-9


def at_least(value: float, threshold: float) -> bool:
    """True when ``value`` reaches ``threshold``, forgiving float noise."""
    return value >= threshold - TOLERANCE


@dataclass(frozen=True, slots=True)
class ScoringPolicy:
    """How scores are computed; the same policy must be used by the projection and any replay.

    Defaults:

    - ``cap_key_result_at_one=True``: a KR scores at most 1.0. Over-achievement is reported
      by the value itself; a score above 1.0 mostly means the target was set too low, and
      uncapped scores make bands and pace ambiguous.
    - ``cap_rollup_at_one=True``: in a roll-up each child counts at most 1.0, so one
      over-achieved KR cannot hide a missed one (and the roll-up stays within 0..1).
      Only matters when KR scores are uncapped.
    - ``keep_comparison="inclusive"``: for keep_above/keep_below/range, hitting the threshold
      exactly is a pass. "Keep churn at or below 2%" is how such targets are usually read.
    - ``floor_at_zero=True``: a value worse than the baseline scores 0.0, not a negative
      number. Going backwards is visible in the value; a negative score would drag the
      objective's roll-up below zero and punish the other KRs for one regression.
    - ``at_risk_ratio=0.9`` and ``off_track_ratio=0.6``: pace compares the score with the
      bar ``expected_progress * expectation``. At or above 90% of the bar is on track, at or
      above 60% is at risk, below that is off track. 10% slack absorbs check-in lag; below
      60% the remaining time rarely suffices to recover.
    """

    cap_key_result_at_one: bool = True
    cap_rollup_at_one: bool = True
    keep_comparison: KeepComparison = "inclusive"
    floor_at_zero: bool = True
    at_risk_ratio: float = 0.9
    off_track_ratio: float = 0.6

    def __post_init__(self) -> None:
        """Refuse settings that would make pace or keep comparisons meaningless."""
        if self.keep_comparison not in ("inclusive", "strict"):
            raise ValueError("keep_comparison is 'inclusive' or 'strict'")
        ratios = (self.off_track_ratio, self.at_risk_ratio)
        if not all(math.isfinite(r) for r in ratios):
            raise ValueError("pace ratios must be finite numbers")
        if not 0.0 <= self.off_track_ratio <= self.at_risk_ratio:
            raise ValueError("pace ratios need 0 <= off_track_ratio <= at_risk_ratio")


# The one policy of the service: the live projector, rebuilds, resumes, replays and the
# auditor's report all default to this object, so a projection and its replay never differ.
DEFAULT_POLICY = ScoringPolicy()
