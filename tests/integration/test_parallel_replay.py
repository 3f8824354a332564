"""A parallel replay equals a serial one: the same tables row for row and the same report,
for a tenant with a cascade, adjustments, a policy change, an erasure and poison events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from nats.aio.client import Client

from events.personal import ERASED
from events.scoring_policy import ScoringPolicy
from events.values import Cycle
from projections.audit.axes import EVERYTHING, TimeAxes
from projections.audit.consistency import compare, table_keys
from projections.audit.parallel import Workers, replay_parallel, share_of
from projections.audit.replay import replay_tenant
from projections.tables import PARTITION_CHECKPOINTS
from services.adapters.stream import StreamSettings
from services.application.auditor import Auditor
from services.bootstrap import CommandService, command_service
from services.client import OkrClient
from services.settings import Settings
from tests.integration.conftest import log_of
from tests.integration.poison import publish_poison

pytestmark = pytest.mark.integration
Q4 = Cycle.quarter("2026-q4").model_dump(mode="json")
WORKERS = 3
TEAMS = 6


def day(month: int, d: int) -> datetime:
    return datetime(2026, month, d, 9, tzinfo=UTC)


def _kr(kr_id: str, title: str, target: float) -> dict[str, Any]:
    metric = {"kind": "numeric", "baseline": 0, "target": target}
    return {"key_result_id": kr_id, "terms": {"title": title, "weight": 1, "metric": metric}}


class Clock:
    """The service's recorded-at clock, moved by the script."""

    def __init__(self) -> None:
        self.now = day(10, 1)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def varied(
    nats_client: Client, nats_url: str, stream_settings: StreamSettings, tenant: str
) -> AsyncIterator[tuple[CommandService, list[int]]]:
    """A company objective, teams aligned to it, people's goals and SMART goals under them;
    check-ins with notes, a late report, a target raised mid-cycle, a scoring-policy change,
    one person erased, and two poison events. Yields the service and the poisons' sequences."""
    clock = Clock()
    settings = Settings(
        nats_url=nats_url,
        stream_name=stream_settings.name,
        subject_root=stream_settings.subjects.root,
    )
    async with command_service(settings, nats_url, clock) as service:
        okr = OkrClient(nats_client, tenant, "lead", service.subjects)

        async def at(when: datetime, command: str, **body: Any) -> None:
            clock.now = when
            await okr.execute(command, meta={"now": when.isoformat()}, **body)

        co = {"objective_id": "co", "level": "company", "owner": "ceo", "cycle": Q4}
        await at(day(10, 1), "create_objective", title="Grow", **co)
        await at(day(10, 1), "add_key_result", objective_id="co", **_kr("arr", "ARR", 100))
        for t in range(TEAMS):
            team = f"team{t}"
            owner = "ana" if t % 2 else "bo"
            await at(
                day(10, 2),
                "create_objective",
                objective_id=team,
                title=f"{owner}'s own quarter {t}",
                level="individual" if t % 3 == 0 else "team",
                owner=owner,
                cycle=Q4,
            )
            await at(day(10, 2), "add_key_result", objective_id=team, **_kr("k", "Ship", 10))
            await at(day(10, 2), "add_key_result", objective_id=team, **_kr("q", "Quality", 4))
            parent = {"kind": "key_result", "objective_id": "co", "key_result_id": "arr"}
            await at(day(10, 2), "align_goal", goal_type="objective", goal_id=team, parent=parent)
            await at(
                day(10, 3),
                "create_smart_goal",
                goal_id=f"smart{t}",
                statement=f"{owner} writes {t + 2} guides by December",
                owner=owner,
                cycle=Q4,
                metric={"kind": "numeric", "baseline": 0, "target": t + 2},
                deadline="2026-12-15",
                achievability="done before",
                serves=[{"kind": "key_result", "objective_id": team, "key_result_id": "k"}],
            )
        for week in range(4):
            when = day(10, 6 + 7 * week)
            for t in range(TEAMS):
                kr = {"goal_type": "objective", "goal_id": f"team{t}", "key_result_id": "k"}
                note = f"week {week}: {'ana' if t % 2 else 'bo'} says on track"
                await at(
                    when, "record_check_in", value=week * 2 + t, confidence=0.6, note=note, **kr
                )
                smart = {"goal_type": "smart_goal", "goal_id": f"smart{t}"}
                await at(when, "record_check_in", value=week, confidence=0.5, **smart)
            await at(when, "record_check_in", goal_type="objective", goal_id="co",
                     key_result_id="arr", value=10 * week, confidence=0.7)  # fmt: skip
            if week == 1:
                await at(when, "adjust_key_result", objective_id="team1", key_result_id="k",
                         reason="ana's team grew", metric={"kind": "numeric", "baseline": 0,
                                                          "target": 20})  # fmt: skip
                await at(when, "set_scoring_policy", reason="stretch",
                         policy={"cap_key_result_at_one": False})  # fmt: skip
                not_json = await publish_poison(nats_client, service.subjects, tenant, "not_json")
                await at(when, "set_hygiene_policy", max_goals_per_owner=12)
            if week == 2:
                await at(when, "erase_data_subject", subject_id="ana", reason="Art. 17")
                nul = await publish_poison(nats_client, service.subjects, tenant, "nul_text")
        clock.now = day(11, 20)
        await okr.execute(
            "report_progress",
            meta={"now": day(11, 20).isoformat()},
            goal_type="objective",
            goal_id="team2",
            key_result_id="q",
            source="ci",
            idempotency_key="ci-1",
            value=3,
            observed_at=day(10, 10).isoformat(),
        )
        yield service, [not_json, nul]


def _auditor(service: CommandService, database_url: str, schema: str, workers: int) -> Auditor:
    return Auditor(
        log_of(service),
        database_url,
        schema,
        ScoringPolicy(),
        replay_prefix=f"{schema}_r{workers}",
        keys=service.keys,
        replay_workers=workers,
        parallel_from=0,
    )


async def test_parallel_and_serial_replays_write_the_same_rows(
    varied: tuple[CommandService, list[int]], database_url: str, pg_schema: str, tenant: str
) -> None:
    service, poisons = varied
    goals = [f"team{t}" for t in range(TEAMS)] + ["co"]
    shares = {share_of(f"r.{tenant}.objective.{g}.e", WORKERS) for g in goals}
    assert len(shares) > 1  # the goals are shared among the workers: the test can fail
    event_log = log_of(service)
    serial, parallel = f"{pg_schema}_serial", f"{pg_schema}_parallel"
    conn = await asyncpg.connect(database_url)
    try:
        one = await replay_tenant(
            event_log, conn, tenant, EVERYTHING, serial, ScoringPolicy(), keys=service.keys
        )
        shared = await replay_parallel(
            event_log,
            conn,
            tenant,
            EVERYTHING,
            parallel,
            ScoringPolicy(),
            Workers(WORKERS, database_url),
            keys=service.keys,
        )
        differences = await compare(conn, serial, parallel, tenant)
        tables = await table_keys(conn, parallel)
        # Row for row, duplicates included (the comparison above goes by key).
        rows = [
            [
                sorted(map(tuple, await conn.fetch(f'SELECT * FROM "{s}".{t}')), key=repr)
                for t in tables
            ]
            for s in (serial, parallel)
        ]
        counts = {t: await conn.fetchval(f'SELECT count(*) FROM "{parallel}".{t}') for t in tables}
        erased = await conn.fetchval(
            f'SELECT count(*) FROM "{parallel}".progress_entries WHERE note = $1', ERASED
        )
        checkpoints = [
            await conn.fetch(
                f"SELECT partition, last_sequence FROM "
                f'"{s}".{PARTITION_CHECKPOINTS} ORDER BY partition'
            )
            for s in (serial, parallel)
        ]
        left = await conn.fetchval(
            "SELECT count(*) FROM pg_namespace WHERE starts_with(nspname, $1)", f"{parallel}_p"
        )
    finally:
        for schema in (serial, parallel):
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()

    assert differences == []
    assert rows[0] == rows[1]
    # Every kind of row is there, so the comparison compared something of each.
    assert all(counts[t] > 0 for t in tables), counts
    assert erased > 0
    assert checkpoints[0] == checkpoints[1]
    assert max(r["last_sequence"] for r in checkpoints[1]) > 0
    assert left == 0  # the workers' schemas were merged into the first and dropped
    assert (shared.events_read, shared.events_selected) == (one.events_read, one.events_selected)
    assert [c.first_sequence for c in shared.skipped] == poisons
    assert shared.skipped == one.skipped
    assert len(shared.worker_peak_mb) == WORKERS - 1  # the first share is replayed in-process


@pytest.mark.parametrize(
    ("axes", "skipped"),
    [
        (TimeAxes(day(12, 31), day(12, 31)), 2),
        # The unreadable event has no instant and is always named; the other poison event
        # says it happened on Nov 2, after this as-of.
        (TimeAxes(day(10, 25), day(11, 25)), 1),
    ],
)
async def test_parallel_and_serial_replays_give_the_same_report(
    varied: tuple[CommandService, list[int]],
    database_url: str,
    pg_schema: str,
    tenant: str,
    axes: TimeAxes,
    skipped: int,
) -> None:
    service, poisons = varied

    serial = await _auditor(service, database_url, pg_schema, 1).report(tenant, "2026-q4", axes)
    parallel = await _auditor(service, database_url, pg_schema, WORKERS).report(
        tenant, "2026-q4", axes
    )

    assert parallel == serial
    assert [s.stream_sequence for s in parallel.skipped_events] == poisons[:skipped]
    [change] = parallel.policy_changes
    assert len(change.goals) == 2 * TEAMS + 1  # each scored by its worker, merged
    assert any(k.adjustments for g in parallel.goals for k in g.key_results)
    assert ERASED in parallel.model_dump_json()
    assert len(parallel.goals) == 2 * TEAMS + 1


async def test_an_interrupted_parallel_replay_leaves_nothing_behind(
    varied: tuple[CommandService, list[int]], database_url: str, pg_schema: str, tenant: str
) -> None:
    service, _ = varied

    def interrupt(read: int, selected: int) -> None:
        raise KeyboardInterrupt  # as Ctrl-C would, in the middle of the replay

    conn = await asyncpg.connect(database_url)
    try:
        with pytest.raises(KeyboardInterrupt):
            await replay_parallel(
                log_of(service),
                conn,
                tenant,
                EVERYTHING,
                f"{pg_schema}_cut",
                ScoringPolicy(),
                Workers(WORKERS, database_url),
                progress=interrupt,
                keys=service.keys,
            )
        left = await conn.fetchval(
            "SELECT count(*) FROM pg_namespace WHERE starts_with(nspname, $1)", f"{pg_schema}_cut"
        )
    finally:
        await conn.close()
    assert left == 0
