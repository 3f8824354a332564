"""The scoring settings (defined with the event that sets them) and the float tolerance."""

from __future__ import annotations

from events.scoring_policy import KeepComparison, ScoringPolicy

# Scores are computed in floating point, so 0.7 can arrive as 0.6999999999999999. Band and
# pace thresholds are meant in decimal, so comparisons against them forgive this much noise.
# Keep-metric comparisons (value vs target) stay exact: those values are entered, not derived.
TOLERANCE = 1e-9


def at_least(value: float, threshold: float) -> bool:
    """True when ``value`` reaches ``threshold``, forgiving float noise."""
    return value >= threshold - TOLERANCE


# No default object here: the deployment's default is built once, from its settings
# (services/settings.py), and every entry point of the read side is handed it.
__all__ = ["TOLERANCE", "KeepComparison", "ScoringPolicy", "at_least"]
