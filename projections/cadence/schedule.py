"""When a goal's check-ins fall due, are overdue, and when it goes stale (pure).

From the goal's last check-in (before any: the later of its creation and its cycle's start)
the k-th missed check-in is due ``k`` cadence periods later, for k = 1 up to
``stale_after_missed``; each is overdue ``grace_days`` after it is due; once the last of
them is overdue the goal is stale and the reminders stop until a check-in restarts the
count. Nothing falls due for a goal that is not active, or at or after its cycle's end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from events.signals import CheckInDue, CheckInOverdue, GoalStale
from projections.cadence.facts import GoalFacts

ACTIVE = "active"
CadenceSignalType = type[CheckInDue] | type[CheckInOverdue] | type[GoalStale]


@dataclass(frozen=True)
class Occasion:
    """One cadence signal that has become true: its type, due date and firing instant."""

    signal: CadenceSignalType
    due_at: datetime
    fires_at: datetime
    missed: int


def occasions(goal: GoalFacts, now: datetime) -> list[Occasion]:
    """Every cadence signal true for ``goal`` at ``now``, by firing instant."""
    if goal.status != ACTIVE:
        return []
    cadence = goal.cadence
    period, grace = timedelta(days=cadence.period_days), timedelta(days=cadence.grace_days)
    found: list[Occasion] = []
    for missed in range(1, cadence.stale_after_missed + 1):
        due = goal.last_touch + missed * period
        if due >= goal.cycle_ends_at or due > now:
            break
        found.append(Occasion(CheckInDue, due, due, missed))
        if due + grace <= now:
            found.append(Occasion(CheckInOverdue, due, due + grace, missed))
            if missed == cadence.stale_after_missed:
                found.append(Occasion(GoalStale, due, due + grace, missed))
    return sorted(found, key=lambda o: (o.fires_at, o.signal.type_name()))


def periods_without_check_in(goal: GoalFacts, now: datetime) -> int:
    """Whole cadence periods since the goal's last check-in (or its rhythm's start)."""
    elapsed = now - goal.last_touch
    return max(0, elapsed // timedelta(days=goal.cadence.period_days))
