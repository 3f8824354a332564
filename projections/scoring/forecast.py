"""Where a key result will land at its cycle's end if the trend of its check-ins holds (pure).

Method: ordinary least squares of value on valid time (days) over the KR's observations,
extrapolated to the cycle's end. The band is the fitted value plus or minus one standard
error of prediction, s * sqrt(1 + 1/n + (x0 - mean)^2 / Sxx), with s the residual standard
deviation on n - 2 degrees of freedom (about a 68 % band when residuals are normal); with
exactly two observations the line passes through both and the band is the fitted value.
Fewer than two observations at distinct instants: no forecast.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from events.values import Metric
from projections.scoring.key_results import key_result_score
from projections.scoring.policy import ScoringPolicy

DAY = timedelta(days=1)
METHOD: Final = "least_squares"  # how the API and the report name the method above
EN_DASH = "\u2013"  # the range dash of "0.42-0.68" as people write it


@dataclass(frozen=True)
class Forecast:
    """The value and score expected at ``at``, each with its band."""

    at: datetime
    value: float
    value_low: float
    value_high: float
    score: float
    score_low: float
    score_high: float
    observations: int

    def sentence(self) -> str:
        """E.g. 'likely to land at 0.55 (0.42-0.68)', with an en dash."""
        band = f"{self.score_low:.2f}{EN_DASH}{self.score_high:.2f}"
        return f"likely to land at {self.score:.2f} ({band})"


def forecast(
    observations: Sequence[tuple[datetime, float]],
    at: datetime,
    metric: Metric,
    policy: ScoringPolicy,
) -> Forecast | None:
    """The trend of ``observations`` (valid time, value) extrapolated to ``at``."""
    if len({t for t, _ in observations}) < 2:
        return None
    origin = min(t for t, _ in observations)
    xs = [(t - origin) / DAY for t, _ in observations]
    ys = [v for _, v in observations]
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    intercept = mean_y - slope * mean_x
    x0 = (at - origin) / DAY
    value = intercept + slope * x0
    residual = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, ys, strict=True))
    s = math.sqrt(residual / (n - 2)) if n > 2 else 0.0
    spread = s * math.sqrt(1 + 1 / n + (x0 - mean_x) ** 2 / sxx)
    low, high = value - spread, value + spread
    scores = sorted(key_result_score(metric, v, policy) for v in (low, high))
    return Forecast(
        at=at,
        value=value,
        value_low=low,
        value_high=high,
        score=key_result_score(metric, value, policy),
        score_low=scores[0],
        score_high=scores[1],
        observations=n,
    )
