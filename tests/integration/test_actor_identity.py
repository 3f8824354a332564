"""The recorded actor and time come from the service, not from what a sender claims."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from nats.aio.client import Client

from services.adapters.stream import StreamSettings
from services.bootstrap import CommandService, command_service
from services.client import OkrClient
from services.domain.errors import ErrorCode
from services.domain.replies import Accepted, Rejected
from services.settings import Settings
from tests.integration.test_command_service import Q4, create_objective

pytestmark = pytest.mark.integration
CLOCK = datetime(2026, 11, 10, 12, tzinfo=UTC)  # the service's clock: mid-cycle
BEFORE_CYCLE = {"now": "2026-09-20T09:00:00Z"}


@pytest.fixture
async def service(nats_url: str, stream_settings: StreamSettings) -> AsyncIterator[CommandService]:
    root = stream_settings.subjects.root
    settings = Settings(stream_name=stream_settings.name, subject_root=root)
    async with command_service(settings, nats_url, clock=lambda: CLOCK) as running:
        yield running


@pytest.fixture
def client(nats_client: Client, service: CommandService, tenant: str) -> OkrClient:
    return OkrClient(nats_client, tenant, "tester", service.subjects)


async def test_an_actor_header_on_a_nats_report_is_not_who_is_recorded(
    nats_client: Client, client: OkrClient, service: CommandService, tenant: str
) -> None:
    await create_objective(client, "o1")
    report = {
        "goal_type": "objective",
        "goal_id": "o1",
        "key_result_id": "arr",
        "source": "jira",
        "idempotency_key": "JIRA-1",
        "value": 130,
        "observed_at": "2026-11-02T08:00:00Z",
    }

    reply = await nats_client.request(
        service.subjects.ingest(tenant),
        json.dumps(report).encode(),
        timeout=10,
        headers={"Okr-Actor": "ceo"},
    )

    assert json.loads(reply.data)["accepted"] == 1
    [stored] = [e for e in await service.store.load_tenant(tenant) if e.envelope.actor != "tester"]
    assert stored.envelope.actor == "integration:jira"


async def test_a_back_dated_mid_cycle_adjustment_still_needs_a_reason(
    client: OkrClient, service: CommandService, tenant: str
) -> None:
    await create_objective(client, "o1")
    change = {
        "objective_id": "o1",
        "key_result_id": "arr",
        "weight": 2.0,
        "meta": BEFORE_CYCLE,
    }

    refused = await client.send("adjust_key_result", **change)
    accepted = await client.send("adjust_key_result", **change, reason="board asked")

    assert isinstance(refused, Rejected)
    assert refused.error.code is ErrorCode.REASON_REQUIRED
    assert isinstance(accepted, Accepted)
    [adjusted] = [
        e.envelope.payload
        for e in await service.store.load(tenant, "objective", "o1")
        if e.envelope.event_type == "key_result.adjusted"
    ]
    assert adjusted.mid_cycle  # type: ignore[attr-defined]


async def test_a_business_time_ahead_of_the_service_clock_is_refused(
    client: OkrClient, service: CommandService, tenant: str
) -> None:
    reply = await client.send(
        "create_objective",
        objective_id="o1",
        title="From the future",
        level="company",
        owner="ceo",
        cycle=Q4,
        meta={"now": "2026-11-10T13:00:00Z"},  # an hour ahead of the service clock
    )

    assert isinstance(reply, Rejected)
    assert reply.error.code is ErrorCode.INVALID_COMMAND
    assert [v.criterion for v in reply.error.violations] == ["meta.now"]
    assert await service.store.load_tenant(tenant) == []
