"""SMART goals: percent complete, and pass/fail decided at the deadline."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from events.values import Metric
from projections.scoring.key_results import key_result_score
from projections.scoring.policy import ScoringPolicy, at_least

Outcome = Literal["pending", "passed", "failed"]


def smart_goal_completion(metric: Metric, value: float | None, policy: ScoringPolicy) -> float:
    """Percent complete, 0..100 under the default policy: the KR score times 100."""
    return key_result_score(metric, value, policy) * 100.0


def deadline_instant(deadline: date | datetime) -> datetime:
    """The instant a deadline passes: a date's deadline lasts until the end of that UTC day."""
    # datetime is a subclass of date, so test for it first.
    if isinstance(deadline, datetime):
        return deadline
    return datetime.combine(deadline + timedelta(days=1), time.min, tzinfo=UTC)


def smart_goal_outcome(completion: float, deadline: date | datetime, as_of: datetime) -> Outcome:
    """Passed once 100% is reached; failed if the deadline passes first; else pending."""
    # A SMART goal expects 100%: there is no partial pass. Reaching it early is a pass at
    # once; short of it, the verdict waits for the deadline, when it is failed.
    if at_least(completion / 100.0, 1.0):
        return "passed"
    return "failed" if as_of >= deadline_instant(deadline) else "pending"
