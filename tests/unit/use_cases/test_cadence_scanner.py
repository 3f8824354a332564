"""The cadence scanner on an in-memory signal stream: given the open goals, when it scans
at business times (one instance, two racing, one back after weeks), then each signal is
stored once, in due order, and a hygiene signal only for codes not signalled before."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from typing import Any

from events.values import MetricKind
from projections.cadence.facts import GoalFacts, KeyResultFacts
from projections.cadence.schedule import occasions
from projections.read_models.tenant_settings import TenantSettings
from services.application.cadence_scanner import CadenceScanner, OpenGoals, cadence_signal
from services.domain.ids import signal_id
from tests.unit.cadence_factories import START, goal
from tests.unit.use_cases.memory_signals import InMemorySignalLog

DAY = timedelta(days=1)
DUE = "signal.okr.acme.objective.o1.check_in.due"
LAUNCH = KeyResultFacts("kr1", "Launch the pricing page", MetricKind.BINARY)


def goals_of(*facts: GoalFacts) -> OpenGoals:
    """The open goals as the read side would load them, whatever the instant."""

    async def load(now: datetime) -> tuple[list[GoalFacts], dict[str, TenantSettings]]:
        return list(facts), {"acme": TenantSettings()}

    return load


def bodies(log: InMemorySignalLog) -> list[dict[str, Any]]:
    return [json.loads(k.body) for k in log.kept]


def at(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


async def test_a_scan_stores_what_fell_due_and_a_second_scan_nothing() -> None:
    log = InMemorySignalLog()
    scanner = CadenceScanner(goals_of(goal()), log)

    first = await scanner.scan(START + 7 * DAY)
    again = await scanner.scan(START + 8 * DAY)
    overdue = await scanner.scan(START + 9 * DAY)

    assert [s.signal_type for s in first] == ["check_in.due"]
    assert again == []
    assert [s.signal_type for s in overdue] == ["check_in.overdue"]
    assert [b["due_at"] for b in bodies(log)] == [at(START + 7 * DAY)] * 2
    assert log.kept[0].subject == DUE
    assert log.kept[0].signal_id == str(
        signal_id("acme", "objective", "o1", "check_in.due", (START + 7 * DAY).isoformat())
    )


async def test_a_scanner_back_after_weeks_catches_up_in_due_order_once() -> None:
    log = InMemorySignalLog()
    scanner = CadenceScanner(goals_of(goal()), log)

    await scanner.scan(START + 30 * DAY)
    await scanner.scan(START + 31 * DAY)

    cadence = [b for b in bodies(log) if b["signal_type"] != "goal.hygiene_flagged"]
    assert sorted((b["signal_type"], b["missed"]) for b in cadence) == [
        ("check_in.due", 1),
        ("check_in.due", 2),
        ("check_in.due", 3),
        ("check_in.overdue", 1),
        ("check_in.overdue", 2),
        ("check_in.overdue", 3),
        ("goal.stale", 3),
    ]
    dues = [b["due_at"] for b in cadence if b["signal_type"] == "check_in.due"]
    assert dues == [at(START + k * 7 * DAY) for k in (1, 2, 3)]  # one subject, due order


async def test_two_scanners_racing_store_each_signal_once() -> None:
    log = InMemorySignalLog()
    facts = goals_of(goal(), goal(goal_id="o2", owner="bo"))
    one, two = CadenceScanner(facts, log), CadenceScanner(facts, log)

    stored = await asyncio.gather(one.scan(START + 16 * DAY), two.scan(START + 16 * DAY))

    ids = [k.signal_id for k in log.kept]
    assert len(ids) == len(set(ids)) == 10  # per goal: 2 due, 2 overdue, 1 hygiene flag
    assert sorted(str(s.signal_id) for batch in stored for s in batch) == sorted(ids)


async def test_a_resend_of_a_stored_signal_is_a_duplicate_not_a_second_one() -> None:
    log = InMemorySignalLog()
    facts, now = goal(), START + 7 * DAY
    [due] = occasions(facts, now)
    same = cadence_signal(facts, due, now)
    # Stored, but its acknowledgement never reached the sender: the next send repeats it.
    log.before_next_send = lambda: log.store(
        DUE, same.signal_type, str(same.signal_id), same.model_dump_json().encode()
    )

    stored = await CadenceScanner(goals_of(facts), log).scan(now)

    assert stored == []
    assert log.types() == ["check_in.due"]


async def test_a_scanner_that_loses_a_race_reads_the_subject_again_and_sends_on_it() -> None:
    log = InMemorySignalLog()
    facts, now = goal(), START + 7 * DAY
    earlier = goal(last_check_in_at=START - DAY)  # another instance read other facts
    [due] = occasions(earlier, START + 6 * DAY)
    theirs = cadence_signal(earlier, due, START + 6 * DAY)
    log.before_next_send = lambda: log.store(
        DUE, theirs.signal_type, str(theirs.signal_id), theirs.model_dump_json().encode()
    )

    [mine] = await CadenceScanner(goals_of(facts), log).scan(now)

    assert [k.signal_id for k in log.kept] == [str(theirs.signal_id), str(mine.signal_id)]
    assert [b["due_at"] for b in bodies(log)] == [at(START + 6 * DAY), at(START + 7 * DAY)]


async def test_a_hygiene_signal_is_sent_again_only_for_a_new_code() -> None:
    log = InMemorySignalLog()
    scanner = CadenceScanner(goals_of(goal(key_results=(LAUNCH,))), log)

    [first] = await scanner.scan(START + DAY)
    again = await scanner.scan(START + 2 * DAY)
    later = await scanner.scan(START + 14 * DAY)

    assert first.signal_type == "goal.hygiene_flagged"
    assert again == []
    [flagged] = [s for s in later if s.signal_type == "goal.hygiene_flagged"]
    assert bodies(log)[0]["new_codes"] == ["key_result_reads_as_task"]
    last = [b for b in bodies(log) if b["signal_type"] == "goal.hygiene_flagged"][-1]
    assert last["new_codes"] == ["no_recent_check_in"]
    assert {f["code"] for f in last["flags"]} == {"key_result_reads_as_task", "no_recent_check_in"}
    assert flagged.signal_id != first.signal_id
