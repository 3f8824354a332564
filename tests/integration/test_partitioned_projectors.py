"""Two projector workers on one schema: partitions owned exclusively (PostgreSQL's own
lock table says so), every tenant's rows written once, ownership moving when one stops."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable

import asyncpg
import httpx
import pytest
from nats.aio.client import Client

from events.scoring_policy import ScoringPolicy
from projections.migrations import migrate
from projections.partitions import PartitionMismatch, locks_of, partition_of
from projections.queries import ReadModels
from projections.runner import PROJECTION_NAME, Projector
from projections.tables import CHECKPOINTS, PARTITION_CHECKPOINTS
from projections.views import ProjectionLag, TenantLag
from projections.writer import ProjectionWriter
from services.application.auth import Role, TokenAuthority
from services.bootstrap import CommandService, lag_of_tenant
from services.client import OkrClient
from services.entrypoints.http.app import Lags, create_query_app
from services.entrypoints.http.auth import Gate
from tests.integration.conftest import bearer
from tests.integration.test_projections import connection, scripted_quarter, snapshot

pytestmark = pytest.mark.integration
PARTITIONS = 8
WAIT_S = 30.0


def worker(
    nc: Client, conn: asyncpg.Connection, service: CommandService, schema: str, name: str
) -> Projector:
    return Projector(
        nc,
        conn,
        service.stream_name,
        schema,
        ScoringPolicy(),
        keys=service.keys,
        batch_size=20,  # many batches, so that ownership moves while events flow
        partitions=PARTITIONS,
        worker=name,
    )


async def until(check: Callable[[], bool], what: str) -> None:
    async with asyncio.timeout(WAIT_S):
        while not check():  # noqa: ASYNC110 (the workers' tasks change what it reads)
            await asyncio.sleep(0.05)
    assert check(), what


async def lock_holders(conn: asyncpg.Connection, schema: str) -> dict[int, list[int]]:
    """Partition -> the backend pids holding its lock, read from pg_locks."""
    rows = await conn.fetch(
        f"SELECT l.objid::bigint AS p, l.pid FROM pg_locks l WHERE {locks_of('$1::text')} "
        "AND l.objid::bigint < $2",
        schema,
        PARTITIONS,
    )
    holders: dict[int, list[int]] = {}
    for r in rows:
        holders.setdefault(int(r["p"]), []).append(int(r["pid"]))
    return holders


async def quarters(nc: Client, service: CommandService, tenants: list[str]) -> int:
    """Each tenant's scripted quarter; returns the stream head after them."""
    await asyncio.gather(
        *(scripted_quarter(OkrClient(nc, t, "ana", service.subjects)) for t in tenants)
    )
    return (await nc.jetstream().stream_info(service.stream_name)).state.last_seq


@pytest.fixture
async def pool(database_url: str, pg_schema: str) -> AsyncIterator[asyncpg.Pool]:
    async with asyncpg.create_pool(
        database_url, min_size=1, max_size=2, server_settings={"search_path": pg_schema}
    ) as created:
        yield created


async def test_two_workers_share_the_partitions_exclusively_and_write_each_row_once(
    nats_client: Client,
    service: CommandService,
    database_url: str,
    pg_schema: str,
    tenant: str,
    pool: asyncpg.Pool,
    authority: TokenAuthority,
) -> None:
    # One tenant in every partition before the split, and one more in each after it.
    names = (f"{tenant}-{i}" for i in range(10_000))
    spread: dict[int, list[str]] = {}
    while any(len(spread.get(p, ())) < 2 for p in range(PARTITIONS)):
        name = next(names)
        spread.setdefault(partition_of(name, PARTITIONS), []).append(name)
    before, after = ([found[i] for found in spread.values()] for i in (0, 1))
    tenants = before + after
    await quarters(nats_client, service, before)
    async with (
        connection(database_url) as conn_a,
        connection(database_url) as conn_b,
        connection(database_url) as probe,
    ):
        a = worker(nats_client, conn_a, service, pg_schema, "a")
        b = worker(nats_client, conn_b, service, pg_schema, "b")
        stop_a, stop_b = asyncio.Event(), asyncio.Event()
        running_a = asyncio.create_task(a.run_batches(stop_a, idle_wait_s=0.05))
        await until(lambda: a.ownership.owned != frozenset(), "a takes partitions")
        running_b = asyncio.create_task(b.run_batches(stop_b, idle_wait_s=0.05))
        try:
            half = PARTITIONS // 2
            await until(
                lambda: len(a.ownership.owned) == len(b.ownership.owned) == half, "an even split"
            )
            head = await quarters(nats_client, service, after)
            await until(
                lambda: a.writer.checkpoint >= head and b.writer.checkpoint >= head,
                "both at the head",
            )
            holders = await lock_holders(probe, pg_schema)
            models = ReadModels(pool, ScoringPolicy())
            lag = await models.lag(PROJECTION_NAME, head, "")
            body = await operator_lag(nats_client, service, models, authority, head)

            stop_b.set()
            await running_b
            await until(lambda: len(a.ownership.owned) == PARTITIONS, "a takes b's partitions")
            after_b = await lock_holders(probe, pg_schema)
        finally:
            stop_a.set()
            stop_b.set()
            await asyncio.gather(running_a, running_b, return_exceptions=True)
        reference_schema = f"{pg_schema}_ref"
        reference = worker(nats_client, probe, service, reference_schema, "reference")
        await reference.catch_up()
        expected = await snapshot(probe, reference_schema)
        got = await snapshot(probe, pg_schema)

    pid_a, pid_b = conn_a.get_server_pid(), conn_b.get_server_pid()
    events = await service.store.load_matching(service.subjects.all_events())
    assert sorted(holders) == list(range(PARTITIONS))
    assert all(len(pids) == 1 for pids in holders.values()), holders
    assert Counter(p[0] for p in holders.values()) == {pid_a: 4, pid_b: 4}
    assert {p: pids[0] for p, pids in after_b.items()} == dict.fromkeys(range(PARTITIONS), pid_a)
    # Exactly once: the partitioned rows are a single projector's, row for row.
    assert unordered(got) == unordered(expected)
    assert got["progress_entries"]
    assert a.applied + b.applied == len(events), "each event applied by one worker, once"
    assert a.applied > 0
    assert b.applied > 0
    assert {t for t, *_ in got["goals"]} == set(tenants)
    assert (lag.lag, lag.checkpoint) == (0, head)
    assert Counter(p.owner for p in lag.partitions) == {"a": 4, "b": 4}
    assert [p["partition"] for p in body["partitions"]] == list(range(PARTITIONS))
    assert {p["owner"] for p in body["partitions"]} == {"a", "b"}
    assert all(p["lag"] == 0 and p["checkpoint"] == head for p in body["partitions"])


def unordered(rows: dict[str, list[tuple[object, ...]]]) -> dict[str, list[str]]:
    """A snapshot of many tenants, each table's rows in an order of their own."""
    return {table: sorted(map(repr, found)) for table, found in rows.items()}


async def operator_lag(
    nc: Client,
    service: CommandService,
    models: ReadModels,
    authority: TokenAuthority,
    head: int,
) -> dict[str, object]:
    """GET /projections/lag with an operator's token, as the service answers it."""

    async def whole(tenant: str) -> ProjectionLag:
        return await models.lag(PROJECTION_NAME, head, tenant)

    async def own(tenant: str) -> TenantLag:
        whole_lag = await whole(tenant)
        return await lag_of_tenant(nc, service.stream_name, service.subjects, whole_lag, tenant)

    app = create_query_app(models, Lags(whole, own), Gate(authority))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        reply = await client.get(
            "/projections/lag", headers=bearer(authority, "ops", Role.OPERATOR)
        )
    assert reply.status_code == 200
    body: dict[str, object] = reply.json()
    return body


async def test_a_schema_refuses_another_number_of_partitions(
    database_url: str, pg_schema: str
) -> None:
    async with connection(database_url) as conn:
        await ProjectionWriter(conn, pg_schema, "p", ScoringPolicy(), partitions=8).open()
        with pytest.raises(PartitionMismatch, match=r"split into 8 partitions.*rebuild"):
            await ProjectionWriter(conn, pg_schema, "p", ScoringPolicy(), partitions=4).open()


async def test_an_unpartitioned_checkpoint_seeds_every_partition(
    database_url: str, pg_schema: str
) -> None:
    async with connection(database_url) as conn:
        await migrate(conn, pg_schema)
        await conn.execute(
            f'INSERT INTO "{pg_schema}".{CHECKPOINTS} (projection, last_sequence) VALUES ($1, 42)',
            PROJECTION_NAME,
        )
        writer = ProjectionWriter(conn, pg_schema, PROJECTION_NAME, ScoringPolicy(), partitions=4)
        assert await writer.open() == 42
        rows = await conn.fetch(
            f"SELECT partition, last_sequence FROM {PARTITION_CHECKPOINTS} ORDER BY partition"
        )
    assert [tuple(r) for r in rows] == [(0, 42), (1, 42), (2, 42), (3, 42)]
    assert (
        writer.share.checkpoint_of("acme")
        == 42
        == writer.share.checkpoints[partition_of("acme", 4)]
    )
