"""Rules over observations (check-ins and reported progress)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol


class ConfidenceReading(Protocol):
    """Anything with a confidence and the instant it applies to (e.g. CheckInRecorded)."""

    @property
    def confidence(self) -> float:
        """0 = no chance, 1 = certain."""
        ...

    @property
    def applies_at(self) -> datetime:
        """The instant the reading held."""
        ...


def superseded(at: datetime, latest_at: datetime | None) -> bool:
    """Whether an observation applying at ``at`` arrives after a newer one is known.

    A late observation is kept in the history but does not overwrite the newer value;
    of two for the same instant, the later-recorded one wins.
    """
    return latest_at is not None and at < latest_at


def latest_confidence(check_ins: Iterable[ConfidenceReading]) -> float | None:
    """Confidence of the check-in that applies latest; None when there is none."""
    latest: ConfidenceReading | None = None
    for check_in in check_ins:
        # ">=" so that, of two check-ins for the same instant, the later-recorded one wins.
        if latest is None or check_in.applies_at >= latest.applies_at:
            latest = check_in
    return None if latest is None else latest.confidence
