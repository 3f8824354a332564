"""Rebuild, replay, audit report and verification name a poison event and carry on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest
from nats.aio.client import Client

from events.scoring_policy import ScoringPolicy
from projections.audit.axes import TimeAxes
from projections.audit.verify import verify_log
from projections.parking import parked_tenants
from projections.runner import rebuild
from projections.tables import GOALS
from services.application.auditor import Auditor
from services.bootstrap import CommandService
from services.client import OkrClient
from tests.integration.conftest import log_of
from tests.integration.poison import publish_poison
from tests.integration.test_poison_events import create, evil_of, poisoned

pytestmark = pytest.mark.integration
# Replays shared among worker processes, however small the log (as a large tenant's are).
PARALLEL = {"replay_workers": 2, "parallel_from": 0}


@pytest.fixture
async def pg(database_url: str, pg_schema: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_url)
    yield conn
    await conn.close()


async def test_rebuild_parks_in_the_fresh_schema_and_completes(
    service: CommandService,
    nats_client: Client,
    pg: asyncpg.Connection,
    pg_schema: str,
    tenant: str,
) -> None:
    sequence = await poisoned("nul_text", service, nats_client, tenant)

    checkpoint = await rebuild(nats_client, pg, service.stream_name, pg_schema, ScoringPolicy())

    assert (
        checkpoint
        == (await nats_client.jetstream().stream_info(service.stream_name)).state.last_seq
    )
    await pg.execute(f'SET search_path TO "{pg_schema}"')
    [parked] = await parked_tenants(pg)
    assert (parked.tenant_id, parked.first_sequence) == (evil_of(tenant), sequence)
    goals = await pg.fetch(f"SELECT tenant_id, goal_id FROM {GOALS} ORDER BY 1, 2")
    assert [(r["tenant_id"], r["goal_id"]) for r in goals] == [
        (tenant, "after"),
        (tenant, "before"),
        (evil_of(tenant), "p1"),
    ]


async def test_the_audit_report_names_the_poison_event_and_reports_the_rest(
    service: CommandService,
    nats_client: Client,
    pg_schema: str,
    tenant: str,
    database_url: str,
) -> None:
    evil = evil_of(tenant)
    okr = OkrClient(nats_client, evil, "eve", service.subjects)
    await create(okr, "p1")
    not_json = await publish_poison(nats_client, service.subjects, evil, "not_json")
    nul = await publish_poison(nats_client, service.subjects, evil, "nul_text")
    await create(okr, "p2")
    auditor = Auditor(
        log_of(service),
        database_url,
        pg_schema,
        ScoringPolicy(),
        replay_prefix=f"{pg_schema}_r",
        replay_workers=2,  # in parallel, however small the log
        parallel_from=0,
    )

    new_year = datetime(2027, 1, 1, tzinfo=UTC)
    report = await auditor.report(evil, "2026-q4", TimeAxes(new_year, new_year))

    assert [s.stream_sequence for s in report.skipped_events] == [not_json, nul]
    assert "CharacterNotInRepertoire" in report.skipped_events[1].error
    assert {g.goal_id for g in report.goals} == {"p1", "p2"}  # the rest, past the poison


async def test_verify_names_unreadable_bodies_and_walks_on(
    service: CommandService, nats_client: Client, tenant: str
) -> None:
    okr = OkrClient(nats_client, tenant, "ana", service.subjects)
    await create(okr, "g1")
    js = nats_client.jetstream()
    subject = service.subjects.event(tenant, "objective", "px", "objective.created")
    odd = [b"[", b'{"tenant_id": ["x"], "aggregate_type": 1, "aggregate_id": {}}', b"\x00\xff"]
    sequences = [(await js.publish(subject, body)).seq for body in odd]
    await create(okr, "g2")
    event_log = log_of(service)

    found = await verify_log(event_log, service.subjects.tenant(tenant))

    assert found.events_checked == 5
    assert [(f.problem, f.stream_sequence) for f in found.findings] == [
        ("unreadable", s) for s in sequences
    ]
