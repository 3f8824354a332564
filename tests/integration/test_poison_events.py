"""An event the projector cannot take parks its tenant; every other tenant goes on."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from nats.aio.client import Client

from events.registry import REGISTRY
from events.scoring_policy import ScoringPolicy
from projections import pg_rows
from projections.parking import parked_tenants
from projections.queries import ReadModels
from projections.runner import PROJECTION_NAME, Projector
from projections.tables import GOALS
from projections.views import TenantLag
from services.application.auth import Role, TokenAuthority
from services.bootstrap import CommandService, lag_of_tenant
from services.client import OkrClient
from services.entrypoints.cli.projections import resume_parked
from services.entrypoints.http.app import Lags, create_query_app
from services.entrypoints.http.auth import Gate
from tests.integration.conftest import bearer, log_of
from tests.integration.poison import AT, Q4, publish_poison

pytestmark = pytest.mark.integration
KINDS = ("not_json", "nul_text", "unknown_version", "apply_raises")


@pytest.fixture
async def pg(database_url: str, pg_schema: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_url, server_settings={"search_path": pg_schema})
    yield conn
    await conn.close()


async def create(okr: OkrClient, goal_id: str) -> None:
    reply = await okr.execute(
        "create_objective",
        objective_id=goal_id,
        title=f"Goal {goal_id}",
        level="team",
        owner="lead",
        cycle=Q4.model_dump(mode="json"),
        meta={"now": AT},
    )
    assert reply.ok, reply


async def goal_ids(pg: asyncpg.Connection, tenant: str) -> list[str]:
    rows = await pg.fetch(f"SELECT goal_id FROM {GOALS} WHERE tenant_id = $1", tenant)
    return sorted(r["goal_id"] for r in rows)


async def poisoned(kind: str, service: CommandService, nc: Client, tenant: str) -> int:
    """Good and poison tenants' events around one poison event; returns its sequence."""
    good = OkrClient(nc, tenant, "ana", service.subjects)
    evil = OkrClient(nc, evil_of(tenant), "eve", service.subjects)
    await create(good, "before")
    await create(evil, "p1")
    sequence = await publish_poison(nc, service.subjects, evil_of(tenant), kind)
    await create(evil, "p2")  # held back: it follows the poison event
    await create(good, "after")
    return sequence


def evil_of(tenant: str) -> str:
    return f"{tenant}-evil"


@pytest.fixture
async def models(database_url: str, pg_schema: str) -> AsyncIterator[ReadModels]:
    async with asyncpg.create_pool(
        database_url, min_size=1, max_size=2, server_settings={"search_path": pg_schema}
    ) as pool:
        yield ReadModels(pool, ScoringPolicy())


@pytest.mark.parametrize("kind", KINDS)
async def test_a_poison_event_parks_its_tenant_and_no_other(
    kind: str,
    service: CommandService,
    nats_client: Client,
    pg: asyncpg.Connection,
    pg_schema: str,
    tenant: str,
    models: ReadModels,
    caplog: pytest.LogCaptureFixture,
) -> None:
    evil = evil_of(tenant)
    sequence = await poisoned(kind, service, nats_client, tenant)
    projector = Projector(
        nats_client, pg, service.stream_name, pg_schema, ScoringPolicy(), batch_size=100
    )

    head = await projector.catch_up(timeout_s=20)

    assert head == (await projector.stream_info()).state.last_seq  # past the poison event
    assert await goal_ids(pg, tenant) == ["after", "before"]
    assert await goal_ids(pg, evil) == ["p1"]
    [parked] = await parked_tenants(pg)
    assert (parked.tenant_id, parked.first_sequence) == (evil, sequence)
    assert parked.error
    assert parked.subject.startswith(f"{service.subjects.root}.{evil}.")
    assert next(r for r in caplog.records if "parked tenant" in r.message).levelname == "WARNING"
    lag = await models.lag(PROJECTION_NAME, head, evil)
    assert lag.lag == 0
    assert lag.parked_tenants == 1
    assert lag.parked is not None
    assert lag.parked.failed_sequence == sequence
    assert (await models.lag(PROJECTION_NAME, head, tenant)).parked is None
    assert caught_kind(parked.error, kind)


def caught_kind(error: str, kind: str) -> bool:
    """Whether the recorded error is the one this kind of poison must cause."""
    expected = {
        "not_json": "ValueError",  # not a JSON object
        "nul_text": "CharacterNotInRepertoire",  # PostgreSQL refused it at write time
        "unknown_version": "UnsupportedSchemaVersion",
        "apply_raises": "KeyError",  # apply found no such key result
    }[kind]
    # The edge may refuse NUL in the event models one day: then decoding names it.
    return expected in error or (kind == "nul_text" and "ValidationError" in error)


def rename_name_to_title(payload: dict[str, Any], header: Any) -> dict[str, Any]:
    """The fix an operator deploys for the old producer's objective.created v0."""
    return {**{k: v for k, v in payload.items() if k != "name"}, "title": payload["name"]}


async def test_the_live_projector_resumes_a_tenant_after_an_upcaster_fix(
    service: CommandService,
    nats_client: Client,
    pg: asyncpg.Connection,
    pg_schema: str,
    tenant: str,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    evil = evil_of(tenant)
    sequence = await poisoned("unknown_version", service, nats_client, tenant)
    live_conn = await asyncpg.connect(database_url)
    live = Projector(nats_client, live_conn, service.stream_name, pg_schema, ScoringPolicy())
    stop = asyncio.Event()
    running = asyncio.create_task(live.run_batches(stop, idle_wait_s=0.05))
    try:
        head = (await live.stream_info()).state.last_seq
        async with asyncio.timeout(20):
            while live.writer.checkpoint < head:  # noqa: ASYNC110 (the projector task moves it)
                await asyncio.sleep(0.05)
        assert await goal_ids(pg, evil) == ["p1"]
        # The fix: an upcaster for the old version (registered as a deployment would).
        monkeypatch.setitem(REGISTRY._upcasters, ("objective.created", 0), rename_name_to_title)

        # With the service running, the command asks its projector and waits for it.
        failure = await resume_parked(pg, log_of(service), pg_schema, evil, ScoringPolicy(), 20)
        assert failure is None
        assert await goal_ids(pg, evil) == ["p1", "p2", "px"]
        assert await parked_tenants(pg) == []
        await create(OkrClient(nats_client, evil, "eve", service.subjects), "p3")
        async with asyncio.timeout(20):
            while "p3" not in await goal_ids(pg, evil):  # noqa: ASYNC110 (polls the servers)
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await running
        await live_conn.close()
    title = await pg.fetchval(f"SELECT title FROM {GOALS} WHERE goal_id = 'px'")
    assert title == "Grow"
    assert sequence > 0


async def test_resume_with_the_service_stopped_parks_again_until_the_fix_is_in(
    service: CommandService,
    nats_client: Client,
    pg: asyncpg.Connection,
    pg_schema: str,
    tenant: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    evil = evil_of(tenant)
    sequence = await poisoned("nul_text", service, nats_client, tenant)
    projector = Projector(nats_client, pg, service.stream_name, pg_schema, ScoringPolicy())
    await projector.catch_up(timeout_s=20)
    [before] = await parked_tenants(pg)
    event_log = log_of(service)

    failure = await resume_parked(
        pg, event_log, pg_schema, evil, ScoringPolicy()
    )  # nothing fixed yet

    assert failure is not None
    assert f"sequence {sequence}" in failure
    [again] = await parked_tenants(pg)
    assert (again.first_sequence, again.error) == (before.first_sequence, before.error)
    assert again.resume_requested_at is None
    # The fix: the projection escapes what PostgreSQL text cannot hold.
    real = pg_rows._goal_record

    def escaped(goal: Any) -> tuple[object, ...]:
        return tuple(v.replace("\x00", "\\0") if isinstance(v, str) else v for v in real(goal))

    monkeypatch.setattr(pg_rows, "_goal_record", escaped)
    assert await resume_parked(pg, event_log, pg_schema, evil, ScoringPolicy()) is None
    assert await goal_ids(pg, evil) == ["p1", "p2", "px"]
    assert await parked_tenants(pg) == []


async def test_the_lag_endpoint_shows_a_tenant_its_own_parking_and_an_operator_the_count(
    service: CommandService,
    nats_client: Client,
    pg: asyncpg.Connection,
    pg_schema: str,
    tenant: str,
    models: ReadModels,
) -> None:
    evil = evil_of(tenant)
    sequence = await poisoned("not_json", service, nats_client, tenant)
    projector = Projector(nats_client, pg, service.stream_name, pg_schema, ScoringPolicy())
    head = await projector.catch_up(timeout_s=20)
    authority = TokenAuthority("a-test-secret-of-at-least-thirty-two-bytes")

    async def lag(of: str) -> Any:
        return await models.lag(PROJECTION_NAME, head, of)

    async def own_lag(of: str) -> TenantLag:
        whole = await lag(of)
        return await lag_of_tenant(nats_client, service.stream_name, service.subjects, whole, of)

    app = create_query_app(models, Lags(lag, own_lag), Gate(authority))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as h:
        own = (await h.get("/projections/lag", headers=bearer(authority, evil, Role.ADMIN))).json()
        other = await h.get("/projections/lag", headers=bearer(authority, tenant, Role.MEMBER))
        ops = (
            await h.get("/projections/lag", headers=bearer(authority, "ops", Role.OPERATOR))
        ).json()

    assert ops["lag"] == 0
    assert ops["parked_tenants"] == 1
    assert "parked_tenants" not in own
    assert own["parked"]["failed_sequence"] == sequence
    assert own["parked"]["error"]
    assert other.json()["parked"] is None
    assert "parked_tenants" not in other.json()
    assert evil not in other.text
    assert evil not in json.dumps(ops)


async def test_a_lost_database_connection_is_not_parked_but_raised_for_a_retry(
    service: CommandService,
    nats_client: Client,
    pg: asyncpg.Connection,
    pg_schema: str,
    tenant: str,
    database_url: str,
) -> None:
    okr = OkrClient(nats_client, tenant, "ana", service.subjects)
    await create(okr, "one")
    doomed = await asyncpg.connect(database_url)
    projector = Projector(nats_client, doomed, service.stream_name, pg_schema, ScoringPolicy())
    await projector.catch_up(timeout_s=20)
    await create(okr, "two")
    await pg.execute("SELECT pg_terminate_backend($1)", doomed.get_server_pid())

    lost = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.InternalClientError)
    with pytest.raises((*lost, OSError)):
        await projector.catch_up(timeout_s=20)

    assert await parked_tenants(pg) == []
    retried = Projector(
        nats_client, pg, service.stream_name, pg_schema, ScoringPolicy()
    )  # the next life
    await retried.catch_up(timeout_s=20)
    assert await goal_ids(pg, tenant) == ["one", "two"]
