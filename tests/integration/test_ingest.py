"""Integrations push progress over NATS: once per key, late reports kept in their place,
bad reports answered with a typed reason and kept on the dead-letter stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from nats.aio.client import Client
from nats.errors import NoRespondersError

from events.scoring_policy import ScoringPolicy
from events.values import Cycle
from projections.queries import ReadModels
from projections.read_models import progress
from projections.runner import Projector
from services.adapters.stream import StreamSettings
from services.application.ingest.reports import MAX_BATCH_REPORTS, MAX_INGEST_BYTES, IngestReply
from services.bootstrap import CommandService, command_service
from services.client import NO_RESPONDER_PAUSE_S, NO_RESPONDER_RETRIES, OkrClient
from services.settings import Settings

pytestmark = pytest.mark.integration
Q4 = Cycle.quarter("2026-q4").model_dump(mode="json")
NOW = datetime(2026, 11, 15, 12, tzinfo=UTC)
IN_Q4 = {"now": "2026-10-05T09:00:00Z"}


@pytest.fixture
async def service(nats_url: str, stream_settings: StreamSettings) -> AsyncIterator[CommandService]:
    """The service on a fixed clock (reports are judged against 'now'), 1 s dedupe window."""
    settings = Settings(
        stream_name=stream_settings.name,
        subject_root=stream_settings.subjects.root,
        duplicate_window_s=1.0,
    )
    async with command_service(settings, nats_url, clock=lambda: NOW) as running:
        yield running


@pytest.fixture
async def goals(nats_client: Client, service: CommandService, tenant: str) -> OkrClient:
    """An objective 'o1' with a currency KR 'arr' (100 → 200) and a binary KR 'launch'."""
    okr = OkrClient(nats_client, tenant, "ana", service.subjects)
    await okr.execute(
        "create_objective",
        objective_id="o1",
        title="Grow",
        level="company",
        owner="ceo",
        cycle=Q4,
        meta=IN_Q4,
    )
    for kr, metric in (
        ("arr", {"kind": "currency", "baseline": 100, "target": 200}),
        ("launch", {"kind": "binary", "target": 1}),
    ):
        await okr.execute(
            "add_key_result",
            objective_id="o1",
            key_result_id=kr,
            meta=IN_Q4,
            terms={"title": kr, "weight": 1, "metric": metric},
        )
    return okr


def report(key: str, value: Any = 150.0, **extra: Any) -> dict[str, Any]:
    return {
        "goal_type": "objective",
        "goal_id": "o1",
        "key_result_id": "arr",
        "value": value,
        "source": "crm",
        "idempotency_key": key,
        "observed_at": "2026-11-10T08:00:00Z",
        **extra,
    }


async def send(nc: Client, service: CommandService, tenant: str, body: bytes) -> IngestReply:
    # As OkrClient does: on a loaded machine a request right after the service subscribed
    # has been seen to find no responder once; a moment later it is routed.
    for attempt in range(NO_RESPONDER_RETRIES + 1):
        try:
            msg = await nc.request(service.subjects.ingest(tenant), body, timeout=10)
            break
        except NoRespondersError:
            if attempt == NO_RESPONDER_RETRIES:
                raise
            await asyncio.sleep(NO_RESPONDER_PAUSE_S)
    return IngestReply.model_validate_json(msg.data)


async def send_json(nc: Client, service: CommandService, tenant: str, data: Any) -> IngestReply:
    return await send(nc, service, tenant, json.dumps(data).encode())


async def progress_events(service: CommandService, tenant: str) -> list[Any]:
    return [
        e.envelope
        for e in await service.store.load_tenant(tenant)
        if e.envelope.event_type == "progress.reported"
    ]


async def test_a_report_is_stored_once_however_often_it_is_sent(
    nats_client: Client, service: CommandService, tenant: str, goals: OkrClient
) -> None:
    first = await send_json(nats_client, service, tenant, report("deal-1"))
    again = await send_json(nats_client, service, tenant, report("deal-1"))

    assert (first.ok, first.accepted, first.duplicates) == (True, 1, 0)
    assert (again.ok, again.accepted, again.duplicates) == (True, 0, 1)
    assert again.results[0].event_id is None
    events = await progress_events(service, tenant)
    assert [e.event_id for e in events] == [first.results[0].event_id]
    assert events[0].actor == "integration:crm"


async def test_a_resend_after_the_dedupe_window_still_counts_once(
    nats_client: Client, service: CommandService, tenant: str, goals: OkrClient
) -> None:
    await send_json(nats_client, service, tenant, report("deal-1"))
    await asyncio.sleep(1.5)  # the stream's dedupe window is 1 s here

    # Even with another value: the integration's key names the observation.
    again = await send_json(nats_client, service, tenant, report("deal-1", 170.0))

    assert again.duplicates == 1
    assert len(await progress_events(service, tenant)) == 1


async def test_a_late_report_does_not_overwrite_a_newer_observation(
    nats_client: Client,
    service: CommandService,
    tenant: str,
    goals: OkrClient,
    database_url: str,
    pg_schema: str,
) -> None:
    newer = report("deal-2", 180.0, observed_at="2026-11-12T08:00:00Z")
    older = report("deal-1", 120.0, observed_at="2026-11-08T08:00:00Z")
    assert (await send_json(nats_client, service, tenant, newer)).ok
    assert (await send_json(nats_client, service, tenant, older)).ok

    conn = await asyncpg.connect(database_url)
    pool = await asyncpg.create_pool(database_url, server_settings={"search_path": pg_schema})
    try:
        await Projector(
            nats_client, conn, service.stream_name, pg_schema, ScoringPolicy()
        ).catch_up()
        models = ReadModels(pool, ScoringPolicy())
        score = await models.goal_score(tenant, "objective", "o1", NOW)
        history = await models.read(progress.history, tenant, "objective", "o1")
    finally:
        await pool.close()
        await conn.close()
    assert score is not None
    arr = next(k for k in score.key_results if k.key_result_id == "arr")
    assert arr.value == 180.0
    assert [(p.value, p.superseded) for p in history] == [(120.0, True), (180.0, False)]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (report("k", key_result_id="nope"), "unknown_key_result"),
        (report("k", goal_id="nope"), "unknown_goal"),
        (report("k", 0.5, key_result_id="launch"), "value_does_not_fit_metric"),
        (report("k", float("nan")), "invalid_report"),
        (report("k", float("inf")), "invalid_report"),
        (report("k", "NaN"), "invalid_report"),
        (report("k", observed_at="2026-11-10T08:00:00"), "invalid_report"),  # no zone
        (report("k", observed_at="2027-01-10T08:00:00Z"), "check_in_in_future"),
        (report("k", extra_field=1), "invalid_report"),
        ({"goal_id": "o1"}, "invalid_report"),
    ],
)
async def test_a_bad_report_is_answered_and_dead_lettered(
    nats_client: Client,
    service: CommandService,
    tenant: str,
    goals: OkrClient,
    body: dict[str, Any],
    code: str,
) -> None:
    raw = json.dumps(body).encode()  # json.dumps writes NaN / Infinity as JS literals

    reply = await send(nats_client, service, tenant, raw)

    assert not reply.ok
    assert reply.rejected == 1
    error = reply.results[0].error
    assert error is not None
    assert error.code == code
    assert not error.retryable
    assert await progress_events(service, tenant) == []
    [kept] = await service.dead_letters.read(tenant)
    assert kept.body == raw
    assert kept.code == code
    assert kept.reason == error
    assert kept.batch_index is None
    assert kept.received_on == service.subjects.ingest(tenant)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"{not json", "malformed_request"),
        (b"[1, 2]", "malformed_request"),
        (b'{"reports": []}', "malformed_request"),
        (b'{"reports": [], "x": 1}', "malformed_request"),
        (b'{"pad": "' + b"x" * MAX_INGEST_BYTES + b'"}', "too_large"),
        (json.dumps({"reports": [report("k")] * (MAX_BATCH_REPORTS + 1)}).encode(), "too_large"),
    ],
)
async def test_an_unreadable_message_is_answered_and_dead_lettered_whole(
    nats_client: Client, service: CommandService, tenant: str, raw: bytes, code: str
) -> None:
    reply = await send(nats_client, service, tenant, raw)

    assert not reply.ok
    assert reply.error is not None
    assert reply.error.code == code
    [kept] = await service.dead_letters.read(tenant)
    assert kept.body == raw
    assert kept.code == code


async def test_a_batch_counts_each_report_and_dead_letters_only_the_bad_ones(
    nats_client: Client, service: CommandService, tenant: str, goals: OkrClient
) -> None:
    batch = {
        "reports": [
            report("a", 110.0),
            report("b", 2.0, key_result_id="launch"),  # binary: refused
            report("c", 130.0),
            {"goal_type": "objective"},  # incomplete: refused
            report("d", 1.0, key_result_id="launch"),
            report("a", 110.0),  # resend within the batch
        ]
    }

    reply = await send_json(nats_client, service, tenant, batch)

    assert (reply.accepted, reply.duplicates, reply.rejected) == (3, 1, 2)
    assert [r.ok for r in reply.results] == [True, False, True, False, True, True]
    assert [e.payload.idempotency_key for e in await progress_events(service, tenant)] == [
        "a",
        "c",
        "d",
    ]
    kept = await service.dead_letters.read(tenant)
    assert [(k.batch_index, k.code) for k in kept] == [
        (1, "value_does_not_fit_metric"),
        (3, "invalid_report"),
    ]
    assert json.loads(kept[0].body) == batch["reports"][1]


async def test_a_tenant_only_reaches_its_own_goals(
    nats_client: Client, service: CommandService, tenant: str, goals: OkrClient
) -> None:
    reply = await send_json(nats_client, service, f"{tenant}-other", report("k"))

    assert reply.results[0].error is not None
    assert reply.results[0].error.code == "unknown_goal"
    assert await progress_events(service, tenant) == []
    assert len(await service.dead_letters.read(f"{tenant}-other")) == 1


async def test_a_large_batch_on_one_goal_is_stored_whole_and_in_order(
    nats_client: Client, service: CommandService, tenant: str, goals: OkrClient
) -> None:
    reports = [report(f"k{i}", 100.0 + i % 100) for i in range(250)]

    reply = await send_json(nats_client, service, tenant, {"reports": reports})
    again = await send_json(nats_client, service, tenant, {"reports": reports})

    assert (reply.accepted, reply.rejected) == (250, 0)
    assert (again.accepted, again.duplicates) == (0, 250)
    events = await progress_events(service, tenant)
    assert [e.payload.idempotency_key for e in events] == [f"k{i}" for i in range(250)]
    versions = [e.aggregate_version for e in events]
    assert versions == list(range(versions[0], versions[0] + 250))


async def test_a_subject_whose_tenant_is_no_token_is_answered_and_dead_lettered(
    nats_client: Client, service: CommandService
) -> None:
    raw = json.dumps(report("k")).encode()

    reply = await send(nats_client, service, "Not-A-Token", raw)

    assert reply.error is not None
    assert reply.error.code == "malformed_request"
    [kept] = await service.dead_letters.read("_unknown")
    assert kept.body == raw
    assert kept.received_on == service.subjects.ingest("Not-A-Token")


async def test_concurrent_batches_on_the_same_goal_all_land(
    nats_client: Client, service: CommandService, tenant: str, goals: OkrClient
) -> None:
    # Six messages of 500 reports on one goal at once: appends of 100 that raced each other
    # (instead of taking turns) ran out of retries here.
    batches = [{"reports": [report(f"b{b}-{i}") for i in range(500)]} for b in range(6)]

    replies = await asyncio.gather(*(send_json(nats_client, service, tenant, b) for b in batches))

    assert [(r.accepted, r.rejected) for r in replies] == [(500, 0)] * 6
    events = await progress_events(service, tenant)
    assert len({e.event_id for e in events}) == len(events) == 3000
