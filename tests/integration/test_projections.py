"""Read models from real events: scores, cascade, audit; idempotent, restartable, rebuildable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from nats.aio.client import Client

from events.scoring_policy import ScoringPolicy
from events.values import Cycle
from projections import writer as writer_module
from projections.queries import ReadModels
from projections.read_models import adjustments, progress
from projections.runner import Projector, rebuild
from projections.writer import OutOfOrder
from services.bootstrap import CommandService
from services.client import OkrClient

pytestmark = pytest.mark.integration
Q4 = Cycle.quarter("2026-q4").model_dump(mode="json")
AS_OF = datetime(2026, 11, 15, tzinfo=UTC)


def at(day: int, month: int = 11) -> dict[str, str]:
    return {"now": f"2026-{month:02d}-{day:02d}T09:00:00Z"}


@pytest.fixture
async def pg(database_url: str, pg_schema: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_url)
    yield conn
    await conn.close()


@pytest.fixture
async def pool(database_url: str, pg_schema: str) -> AsyncIterator[asyncpg.Pool]:
    async with asyncpg.create_pool(
        database_url, min_size=1, max_size=4, server_settings={"search_path": pg_schema}
    ) as created:
        yield created


@pytest.fixture
def client(nats_client: Client, service: CommandService, tenant: str) -> OkrClient:
    return OkrClient(nats_client, tenant, "ana", service.subjects)


def projector(
    nats_client: Client, conn: asyncpg.Connection, service: CommandService, schema: str, **kw: Any
) -> Projector:
    return Projector(nats_client, conn, service.stream_name, schema, ScoringPolicy(), **kw)


async def scripted_quarter(okr: OkrClient) -> None:
    """A company objective, a team objective under its KR, a SMART goal, check-ins."""
    await okr.execute(
        "create_objective",
        objective_id="co",
        title="Grow",
        level="company",
        owner="ceo",
        cycle=Q4,
        commitment="aspirational",
        meta=at(1, 10),
    )
    await okr.execute(
        "add_key_result",
        objective_id="co",
        key_result_id="arr",
        meta=at(1, 10),
        terms={
            "title": "ARR",
            "weight": 3,
            "metric": {"kind": "currency", "baseline": 100, "target": 200},
        },
    )
    await okr.execute(
        "add_key_result",
        objective_id="co",
        key_result_id="churn",
        meta=at(1, 10),
        terms={
            "title": "Churn",
            "weight": 1,
            "metric": {"kind": "percentage", "baseline": 5, "target": 3, "direction": "decrease"},
        },
    )
    await okr.execute(
        "create_objective",
        objective_id="team",
        title="Self-serve",
        level="team",
        owner="lead",
        cycle=Q4,
        meta=at(2, 10),
    )
    await okr.execute(
        "add_key_result",
        objective_id="team",
        key_result_id="act",
        meta=at(2, 10),
        terms={
            "title": "Activation",
            "weight": 1,
            "metric": {"kind": "percentage", "baseline": 20, "target": 40},
        },
    )
    await okr.execute(
        "align_goal",
        goal_type="objective",
        goal_id="team",
        meta=at(2, 10),
        parent={"kind": "key_result", "objective_id": "co", "key_result_id": "arr"},
    )
    await okr.execute(
        "create_smart_goal",
        goal_id="guides",
        owner="ana",
        cycle=Q4,
        statement="Publish three onboarding guides for trial users",
        metric={"kind": "numeric", "baseline": 0, "target": 3},
        deadline="2026-12-15",
        meta=at(3, 10),
        serves=[{"kind": "key_result", "objective_id": "team", "key_result_id": "act"}],
    )
    await okr.execute(
        "record_check_in",
        goal_type="objective",
        goal_id="co",
        key_result_id="arr",
        value=150,
        confidence=0.7,
        meta=at(1),
    )
    await okr.execute(
        "record_check_in",
        goal_type="objective",
        goal_id="co",
        key_result_id="churn",
        value=4,
        confidence=0.5,
        meta=at(1),
    )
    await okr.execute(
        "record_check_in",
        goal_type="objective",
        goal_id="team",
        key_result_id="act",
        value=30,
        confidence=0.6,
        meta=at(2),
    )
    await okr.execute(
        "record_check_in",
        goal_type="smart_goal",
        goal_id="guides",
        value=1,
        confidence=0.9,
        meta=at(3),
    )
    # A mid-quarter adjustment: ARR target lowered from 200 to 175.
    await okr.execute(
        "adjust_key_result",
        objective_id="co",
        key_result_id="arr",
        metric={"kind": "currency", "baseline": 100, "target": 175},
        reason="a market closed",
        meta=at(5),
    )


async def snapshot(conn: asyncpg.Connection, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every read-model row in ``schema``, in a stable order."""
    out = {}
    for table, order in (
        ("goals", "goal_type, goal_id"),
        ("key_results", "objective_id, key_result_id"),
        ("alignments", "child_id, parent_objective_id"),
        ("progress_entries", "stream_sequence"),
        ("key_result_adjustments", "stream_sequence"),
    ):
        rows = await conn.fetch(f'SELECT * FROM "{schema}".{table} ORDER BY {order}')
        out[table] = [tuple(r.values()) for r in rows]
    return out


@asynccontextmanager
async def connection(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(dsn)
    try:
        yield conn
    finally:
        await conn.close()


async def test_events_in_rows_out(
    client: OkrClient,
    service: CommandService,
    nats_client: Client,
    pg: asyncpg.Connection,
    pool: asyncpg.Pool,
    pg_schema: str,
    tenant: str,
) -> None:
    await scripted_quarter(client)

    await projector(nats_client, pg, service, pg_schema).catch_up()
    models = ReadModels(pool, ScoringPolicy())

    company = await models.goal_score(tenant, "objective", "co", AS_OF)
    assert company is not None
    krs = {k.key_result_id: k for k in company.key_results}
    assert krs["arr"].score == pytest.approx(50 / 75)  # (150-100)/(175-100) after adjustment
    assert krs["churn"].score == pytest.approx(0.5)
    assert company.score == pytest.approx((3 * 50 / 75 + 1 * 0.5) / 4)
    assert company.expectation == pytest.approx(0.7)
    smart = await models.goal_score(tenant, "smart_goal", "guides", AS_OF)
    assert smart is not None
    assert smart.percent_complete == pytest.approx(100 / 3)
    assert smart.outcome == "pending"

    [adjustment] = await models.read(adjustments.matching, tenant, cycle_id="2026-q4")
    assert adjustment.reason == "a market closed"
    assert adjustment.mid_cycle
    assert adjustment.score_under_original == pytest.approx(0.5)
    assert adjustment.score_under_revised == pytest.approx(50 / 75)
    assert await models.read(adjustments.matching, tenant, actor="someone-else") == []

    tree = await models.subtree(tenant, "objective", "co", AS_OF)
    assert tree is not None
    assert [c.goal.goal_id for c in tree.children] == ["team"]
    assert [c.goal.goal_id for c in tree.children[0].children] == ["guides"]
    path = await models.path_to_top(tenant, "smart_goal", "guides")
    assert [(p.goal_id, p.via_key_result) for p in path] == [
        ("guides", None),
        ("team", "act"),
        ("co", "arr"),
    ]
    history = await models.read(progress.history, tenant, "objective", "co")
    assert [h.value for h in history] == [150, 4]


async def test_same_events_twice_change_nothing(
    client: OkrClient,
    service: CommandService,
    nats_client: Client,
    pg: asyncpg.Connection,
    pg_schema: str,
) -> None:
    await scripted_quarter(client)
    live = projector(nats_client, pg, service, pg_schema)
    await live.catch_up()
    before = await snapshot(pg, pg_schema)

    # Deliver the whole stream again: everything is at or below the checkpoint.
    events = await service.store.load_matching(service.subjects.all_events())
    assert await live.writer.write(events) == 0
    # And again through a fresh writer that has no in-memory state.
    again = projector(nats_client, pg, service, pg_schema)
    await again.writer.open()
    assert await again.writer.write(events) == 0

    assert await snapshot(pg, pg_schema) == before


async def test_projector_stopped_mid_way_ends_like_one_that_never_stopped(
    client: OkrClient,
    service: CommandService,
    nats_client: Client,
    database_url: str,
    pg: asyncpg.Connection,
    pg_schema: str,
) -> None:
    await scripted_quarter(client)
    events = await service.store.load_matching(service.subjects.all_events())
    reference_schema = f"{pg_schema}_ref"

    # First life: commits two small batches, then dies before acknowledging anything.
    first = projector(nats_client, pg, service, pg_schema)
    await first.writer.open()
    # The projector is delivered every message, the alignments' guards among the events.
    ends = [events[2].stream_sequence, events[6].stream_sequence]
    await first.writer.write(events[:3], delivered=range(1, ends[0] + 1))
    await first.writer.write(events[3:7], delivered=range(ends[0] + 1, ends[1] + 1))
    # Second life: a new process, same durable consumer name and schema, catches up;
    # the consumer redelivers from the start and the checkpoint skips what was applied.
    async with connection(database_url) as conn:
        await projector(nats_client, conn, service, pg_schema, batch_size=3).catch_up()
    # Reference: one projector that never stopped, into a schema of its own.
    async with connection(database_url) as conn:
        try:
            await projector(nats_client, conn, service, reference_schema).catch_up()
            reference = await snapshot(conn, reference_schema)
        finally:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{reference_schema}" CASCADE')

    assert await snapshot(pg, pg_schema) == reference
    assert reference["goals"]


async def test_rebuild_gives_the_same_rows_as_the_live_run(
    client: OkrClient,
    service: CommandService,
    nats_client: Client,
    database_url: str,
    pg: asyncpg.Connection,
    pg_schema: str,
) -> None:
    await scripted_quarter(client)
    live = projector(nats_client, pg, service, pg_schema)
    await live.catch_up()
    live_rows = await snapshot(pg, pg_schema)

    async with connection(database_url) as conn:
        checkpoint = await rebuild(
            nats_client, conn, service.stream_name, pg_schema, ScoringPolicy()
        )

    assert checkpoint == live.writer.checkpoint
    assert await snapshot(pg, pg_schema) == live_rows


async def test_a_batch_that_fails_mid_way_leaves_nothing_half_applied(
    client: OkrClient,
    service: CommandService,
    nats_client: Client,
    database_url: str,
    pg: asyncpg.Connection,
    pg_schema: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await scripted_quarter(client)
    real_flush = writer_module.flush
    calls = 0

    async def flush_then_die(conn: asyncpg.Connection, changes: Any) -> None:
        nonlocal calls
        calls += 1
        await real_flush(conn, changes)  # the rows are written ...
        if calls == 2:
            raise ConnectionResetError("killed mid-batch")  # ... but never committed

    monkeypatch.setattr(writer_module, "flush", flush_then_die)
    dying = projector(nats_client, pg, service, pg_schema, batch_size=4)
    with pytest.raises(ConnectionResetError):
        await dying.catch_up()
    assert dying.writer.checkpoint > 0
    monkeypatch.setattr(writer_module, "flush", real_flush)

    async with connection(database_url) as conn:
        await projector(nats_client, conn, service, pg_schema, batch_size=4).catch_up()
    reference_schema = f"{pg_schema}_ref"
    async with connection(database_url) as conn:
        try:
            await projector(nats_client, conn, service, reference_schema).catch_up()
            reference = await snapshot(conn, reference_schema)
        finally:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{reference_schema}" CASCADE')

    assert await snapshot(pg, pg_schema) == reference


async def test_a_gap_after_the_checkpoint_is_refused_not_skipped(
    client: OkrClient,
    service: CommandService,
    nats_client: Client,
    pg: asyncpg.Connection,
    pg_schema: str,
) -> None:
    await scripted_quarter(client)
    events = await service.store.load_matching(service.subjects.all_events())
    writer = projector(nats_client, pg, service, pg_schema).writer
    await writer.open()
    await writer.write(events[:2])

    with pytest.raises(OutOfOrder):
        await writer.write(events[3:5])  # event 3 would be lost if this were applied

    assert writer.checkpoint == events[1].stream_sequence
