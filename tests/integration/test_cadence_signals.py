"""Cadence signals end to end: business time drives the scans; each signal is stored once,
with two scanners racing and one of them restarted in the middle."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import jsonschema
import pytest
from nats.aio.client import Client

from events.subjects import Subjects
from events.values import Cycle
from examples import signal_subscriber
from projections.queries import ReadModels
from projections.runner import Projector
from projections.scoring import ScoringPolicy
from services.application.auth import Role, TokenAuthority
from services.bootstrap import CommandService, ReadSide, cadence_signals
from services.client import OkrClient
from services.entrypoints.nats.contract import CONTRACT_DIR
from services.settings import Settings
from tests.integration.conftest import bearer

pytestmark = pytest.mark.integration
Q4 = Cycle.quarter("2026-q4").model_dump(mode="json")
START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


class BusinessClock:
    """The business time the scanners read; the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def models(database_url: str, pg_schema: str) -> AsyncIterator[ReadModels]:
    async with asyncpg.create_pool(
        database_url, min_size=1, max_size=4, server_settings={"search_path": pg_schema}
    ) as pool:
        yield ReadModels(pool, ScoringPolicy())


async def read_signals(nc: Client, stream: str, subjects: Subjects, tenant: str) -> list[dict]:
    """Every stored signal of ``tenant``, read as a subscriber would (subjects and JSON)."""
    js = nc.jetstream()
    sub = await js.subscribe(
        f"signal.{subjects.root}.{tenant}.>", stream=stream, ordered_consumer=True
    )
    found: list[dict] = []
    try:
        while True:
            msg = await sub.next_msg(timeout=0.5)
            found.append({"subject": msg.subject, **json.loads(msg.data)})
    except TimeoutError:
        return found
    finally:
        await sub.unsubscribe()


async def test_due_overdue_and_stale_arrive_once_across_two_scanners_and_a_restart(
    nats_client: Client,
    service: CommandService,
    models: ReadModels,
    database_url: str,
    pg_schema: str,
    tenant: str,
) -> None:
    okr = OkrClient(nats_client, tenant, "ana", service.subjects)
    meta = {"now": START.isoformat()}
    # Given a tenant checking in every 7 days, overdue after 2, stale after 2 missed
    await okr.execute(
        "set_check_in_cadence",
        cadence={"period_days": 7, "grace_days": 2, "stale_after_missed": 2},
        meta=meta,
    )
    await okr.execute(
        "create_smart_goal",
        goal_id="g1",
        statement="Raise weekly active teams from 40 to 60 by the end of the quarter",
        owner="ana",
        cycle=Q4,
        metric={"kind": "numeric", "baseline": 40, "target": 60},
        deadline="2026-12-20",
        achievability="we did +15 last quarter",
        personal=True,
        meta=meta,
    )
    conn = await asyncpg.connect(database_url)
    projector = Projector(
        nats_client, conn, service.stream_name, pg_schema, ScoringPolicy(), keys=service.keys
    )
    await projector.catch_up()
    settings = Settings(
        stream_name=service.stream_name,
        subject_root=service.subjects.root,
        cadence_scan_s=3600,  # scans here are driven by the test
    )
    clock = BusinessClock(START + timedelta(days=1))
    try:
        async with cadence_signals(settings, nats_client, models, clock) as b:
            async with cadence_signals(settings, nats_client, models, clock) as a:
                # When business time passes the first due date, both scanners scan at once
                clock.now = START + timedelta(days=7, hours=1)
                await asyncio.gather(a.scan(clock.now), b.scan(clock.now), a.scan(clock.now))
            # ... one of them stops; past the grace period it comes back
            clock.now = START + timedelta(days=9, hours=2)
            async with cadence_signals(settings, nats_client, models, clock) as a:
                await asyncio.gather(a.scan(clock.now), b.scan(clock.now))
                # Then the second period goes by unanswered too: overdue again, and stale
                clock.now = START + timedelta(days=16, hours=3)
                await asyncio.gather(a.scan(clock.now), b.scan(clock.now))
                await asyncio.gather(a.scan(clock.now), b.scan(clock.now))
        stored = await read_signals(nats_client, settings.signals, service.subjects, tenant)
    finally:
        await conn.close()
    # Then each signal is stored exactly once per due date
    hygiene = [s for s in stored if s["signal_type"] == "goal.hygiene_flagged"]
    seen = Counter((s["signal_type"], s["due_at"]) for s in stored if s not in hygiene)
    first, second = START + timedelta(days=7), START + timedelta(days=14)
    z = "+00:00"
    assert seen == {
        ("check_in.due", first.isoformat().replace(z, "Z")): 1,
        ("check_in.overdue", first.isoformat().replace(z, "Z")): 1,
        ("check_in.due", second.isoformat().replace(z, "Z")): 1,
        ("check_in.overdue", second.isoformat().replace(z, "Z")): 1,
        ("goal.stale", second.isoformat().replace(z, "Z")): 1,
    }, stored
    stale = next(s for s in stored if s["signal_type"] == "goal.stale")
    assert stale["subject"] == service.subjects.signal(tenant, "smart_goal", "g1", "goal.stale")
    assert stale["missed"] == 2
    assert stale["last_check_in_at"] is None
    # And two quiet periods make one hygiene finding, sent once
    assert [h["new_codes"] for h in hygiene] == [["no_recent_check_in"]]


async def test_every_stored_signal_matches_its_published_json_schema(
    nats_client: Client,
    service: CommandService,
    models: ReadModels,
    database_url: str,
    pg_schema: str,
    tenant: str,
) -> None:
    okr = OkrClient(nats_client, tenant, "ana", service.subjects)
    await okr.execute(
        "create_objective",
        objective_id="o1",
        title="Delight trial users",
        level="individual",
        owner="bo",
        cycle=Q4,
        meta={"now": START.isoformat()},
    )
    await okr.execute(
        "add_key_result",
        objective_id="o1",
        key_result_id="kr1",
        terms={
            "title": "Launch the pricing page",
            "weight": 1,
            "metric": {"kind": "binary", "target": 1},
        },
        meta={"now": START.isoformat()},
    )
    await okr.execute("activate_objective", objective_id="o1", meta={"now": START.isoformat()})
    conn = await asyncpg.connect(database_url)
    projector = Projector(
        nats_client, conn, service.stream_name, pg_schema, ScoringPolicy(), keys=service.keys
    )
    await projector.catch_up()
    await conn.close()
    settings = Settings(stream_name=service.stream_name, subject_root=service.subjects.root)
    clock = BusinessClock(START + timedelta(days=30))
    async with cadence_signals(settings, nats_client, models, clock) as scanner:
        await scanner.scan(clock.now)  # a late start catches up on everything that fell due
    stored = await read_signals(nats_client, settings.signals, service.subjects, tenant)
    schemas = CONTRACT_DIR / "signals"
    for signal in stored:
        body = {k: v for k, v in signal.items() if k != "subject"}
        schema = json.loads((schemas / f"{body['signal_type']}.v1.schema.json").read_text())
        jsonschema.validate(body, schema)
    kinds = Counter(s["signal_type"] for s in stored)
    assert kinds == {
        "check_in.due": 3,
        "check_in.overdue": 3,
        "goal.stale": 1,
        "goal.hygiene_flagged": 1,
    }
    # And the example subscriber, which knows only the documented contract, prints them
    printed = await signal_subscriber.follow(
        nats_client, tenant, settings.signals, service.subjects.root, lambda _: None, 8, 10
    )
    assert len(printed) == 8
    assert (
        printed[0]
        == f"check-in due {(START + timedelta(days=7)).isoformat()[:19]}Z: objective o1 (bo)"
    )
    [flagged] = [s for s in stored if s["signal_type"] == "goal.hygiene_flagged"]
    assert sorted(flagged["new_codes"]) == [
        "individual_goal_unaligned",
        "key_result_reads_as_task",
        "no_recent_check_in",
    ]


async def test_the_hygiene_route_lists_findings_per_owner_and_team(
    service: CommandService,
    reads: ReadSide,
    http: httpx.AsyncClient,
    nats_client: Client,
    tenant: str,
    authority: TokenAuthority,
) -> None:
    okr = OkrClient(nats_client, tenant, "ana", service.subjects)
    meta = {"now": START.isoformat()}
    await okr.execute(
        "create_objective",
        objective_id="o1",
        title="Delight trial users",
        level="team",
        owner="bo",
        team="growth",
        cycle=Q4,
        meta=meta,
    )
    await okr.execute("activate_objective", objective_id="o1", meta=meta)
    await okr.execute("set_hygiene_policy", max_goals_per_owner=1, meta=meta)
    await okr.execute(
        "create_objective",
        objective_id="o2",
        title="Cut churn",
        level="team",
        owner="bo",
        cycle=Q4,
        meta=meta,
    )
    await reads.wait_until_current()
    answer = await http.get(
        f"/tenants/{tenant}/cycles/2026-q4/hygiene",
        params={"as_of": (START + timedelta(days=3)).isoformat()},
        headers=bearer(authority, tenant, Role.MEMBER),
    )
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["max_goals_per_owner"] == 1
    [owner] = report["by_owner"]
    assert owner["name"] == "bo"
    codes = {g["goal_id"]: [f["code"] for f in g["findings"]] for g in owner["goals"]}
    assert codes == {
        "o1": ["objective_without_key_results", "too_many_goals"],
        "o2": ["too_many_goals"],
    }
    [team] = report["by_team"]
    assert (team["name"], [g["goal_id"] for g in team["goals"]]) == ("growth", ["o1"])
