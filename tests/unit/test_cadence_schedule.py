"""When check-ins fall due: given a goal's rhythm, when business time reaches an instant,
then these signals are true (pure, time passed in)."""

from __future__ import annotations

from datetime import timedelta

from events.signals import CheckInDue, CheckInOverdue, GoalStale
from projections.cadence.schedule import occasions, periods_without_check_in
from tests.unit.cadence_factories import START, goal

DAY = timedelta(days=1)


def kinds(found: list) -> list[tuple[str, int]]:
    return [(o.signal.type_name(), o.missed) for o in found]


def test_nothing_is_due_before_a_period_has_passed() -> None:
    assert occasions(goal(), START + 6 * DAY) == []


def test_a_check_in_is_due_a_period_after_the_goal_started() -> None:
    [due] = occasions(goal(), START + 7 * DAY)
    assert due.signal is CheckInDue
    assert due.due_at == START + 7 * DAY


def test_it_is_overdue_once_the_grace_period_has_passed() -> None:
    found = occasions(goal(), START + 9 * DAY)
    assert kinds(found) == [("check_in.due", 1), ("check_in.overdue", 1)]
    assert found[1].fires_at == START + 9 * DAY
    assert found[1].signal is CheckInOverdue


def test_the_goal_is_stale_when_the_last_allowed_check_in_is_overdue_and_reminders_stop() -> None:
    found = occasions(goal(), START + 60 * DAY)
    assert kinds(found)[-1] == ("goal.stale", 3)
    assert found[-1].signal is GoalStale
    assert found[-1].fires_at == START + 23 * DAY
    assert len(found) == 7  # three due, three overdue, one stale


def test_a_check_in_restarts_the_count() -> None:
    checked = goal(last_check_in_at=START + 5 * DAY)
    assert occasions(checked, START + 11 * DAY) == []
    [due] = occasions(checked, START + 12 * DAY)
    assert due.due_at == START + 12 * DAY


def test_nothing_falls_due_for_a_goal_that_is_not_active_or_after_its_cycle() -> None:
    assert occasions(goal(status="closed"), START + 30 * DAY) == []
    assert occasions(goal(status="draft"), START + 30 * DAY) == []
    late = goal(last_check_in_at=START + 88 * DAY)  # the next due date is past 2026-12-31
    assert occasions(late, START + 100 * DAY) == []


def test_the_rhythm_of_a_goal_created_before_its_cycle_starts_with_the_cycle() -> None:
    early = goal(created_at=START - 20 * DAY)
    cycle_start = START.replace(hour=0)
    [due] = occasions(early, START + 7 * DAY)
    assert due.due_at == cycle_start + 7 * DAY


def test_quiet_periods_count_whole_periods_since_the_last_touch() -> None:
    assert periods_without_check_in(goal(), START + 13 * DAY) == 1
    assert periods_without_check_in(goal(), START + 14 * DAY) == 2
