"""What a command or report may carry beyond its shape: dates inside the window, cycles of
at most a year (a quarter-named cycle with exactly that quarter's dates), numbers a score
can be computed from.

Pure rules for the edge only: the event models keep accepting what was ever stored, so
old events stay readable; new input is held to what the read side can serve.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Final

from pydantic import AfterValidator, AwareDatetime, Field

from events.objectives import KeyResultTerms
from events.values import Cycle, Metric

EARLIEST_DATE: Final = date(1970, 1, 1)
LATEST_DATE: Final = date(2100, 12, 31)
EARLIEST_INSTANT: Final = datetime.combine(EARLIEST_DATE, time.min, tzinfo=UTC)
END_OF_WINDOW: Final = datetime.combine(LATEST_DATE + timedelta(days=1), time.min, tzinfo=UTC)
MAX_CYCLE_DAYS: Final = 366
# Far inside a double's range, so that differences and ratios of metric values stay finite.
MAX_MAGNITUDE: Final = 1e15
MAX_MILESTONES: Final = 50
MAX_MILESTONE_CHARS: Final = 200
WINDOW_TEXT: Final = f"between {EARLIEST_DATE.year} and {LATEST_DATE.year}"


def date_in_window(day: date) -> date:
    """``day`` if its year lies in the window, else ValueError."""
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValueError(f"dates lie {WINDOW_TEXT} (got {day.isoformat()})")
    return day


def instant_in_window(instant: datetime) -> datetime:
    """``instant`` (zone-aware) if it lies in the window, else ValueError."""
    if not EARLIEST_INSTANT <= instant < END_OF_WINDOW:
        raise ValueError(f"instants lie {WINDOW_TEXT} (got {instant.isoformat()})")
    return instant


def zoned_instant_in_window(instant: datetime) -> datetime:
    """``instant`` if it names its zone and lies in the window, else ValueError: an
    instant without a zone means another moment on every server."""
    if instant.tzinfo is None:
        raise ValueError(
            f"{instant.isoformat()} needs a time zone, e.g. {instant.isoformat()}Z"
        )
    return instant_in_window(instant)


def cycle_fits(cycle: Cycle) -> Cycle:
    """``cycle`` if it lies in the window, lasts at most a year and, when named like a
    calendar quarter, spans exactly that quarter; else ValueError."""
    date_in_window(cycle.starts_on)
    date_in_window(cycle.ends_on)
    days = (cycle.ends_on - cycle.starts_on).days + 1
    if days > MAX_CYCLE_DAYS:
        raise ValueError(f"a cycle lasts at most {MAX_CYCLE_DAYS} days (got {days})")
    try:
        quarter = Cycle.quarter(cycle.id)
    except ValueError:
        return cycle  # not a quarter's name (or a year no quarter of the window has)
    if (cycle.starts_on, cycle.ends_on) != (quarter.starts_on, quarter.ends_on):
        raise ValueError(
            f"cycle {cycle.id!r} is named like a calendar quarter, so it runs from "
            f"{quarter.starts_on} to {quarter.ends_on}"
        )
    return cycle


def metric_fits(metric: Metric) -> Metric:
    """``metric`` if its numbers are within MAX_MAGNITUDE and its milestones bounded."""
    numbers = (metric.baseline, metric.target, metric.target_max or 0.0)
    if any(abs(n) > MAX_MAGNITUDE for n in numbers):
        raise ValueError(f"metric values lie within ±{MAX_MAGNITUDE:g}")
    if len(metric.milestones) > MAX_MILESTONES:
        raise ValueError(f"a metric lists at most {MAX_MILESTONES} milestones")
    if not all(0 < len(m) <= MAX_MILESTONE_CHARS for m in metric.milestones):
        raise ValueError(f"a milestone has 1 to {MAX_MILESTONE_CHARS} characters")
    return metric


def _terms_fit(terms: KeyResultTerms) -> KeyResultTerms:
    metric_fits(terms.metric)
    return terms


WindowDate = Annotated[date, AfterValidator(date_in_window)]
WindowInstant = Annotated[AwareDatetime, AfterValidator(instant_in_window)]
BoundedCycle = Annotated[Cycle, AfterValidator(cycle_fits)]
BoundedMetric = Annotated[Metric, AfterValidator(metric_fits)]
BoundedTerms = Annotated[KeyResultTerms, AfterValidator(_terms_fit)]
Magnitude = Annotated[float, Field(allow_inf_nan=False, ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE)]
