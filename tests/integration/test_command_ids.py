"""Command ids name one request: reuse elsewhere is refused, never taken for a resend."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from nats.aio.client import Client

from services.adapters.stream import StreamSettings
from services.bootstrap import CommandService, command_service
from services.client import OkrClient
from services.domain.errors import ErrorCode
from services.domain.replies import Accepted, Rejected
from services.settings import Settings
from tests.integration.test_command_service import IN_Q4, create_objective

pytestmark = pytest.mark.integration


def check_in(goal_id: str, command_id: str, value: float = 120) -> dict[str, Any]:
    return {
        "goal_type": "objective",
        "goal_id": goal_id,
        "key_result_id": "arr",
        "value": value,
        "confidence": 0.5,
        "meta": {**IN_Q4, "command_id": command_id},
    }


async def check_ins(service: CommandService, tenant: str, goal_id: str) -> int:
    events = await service.store.load(tenant, "objective", goal_id)
    return sum(e.envelope.event_type == "check_in.recorded" for e in events)


@pytest.fixture
def client(nats_client: Client, service: CommandService, tenant: str) -> OkrClient:
    return OkrClient(nats_client, tenant, "tester", service.subjects)


async def test_a_command_id_reused_on_another_goal_is_refused_and_drops_nothing(
    client: OkrClient, service: CommandService, tenant: str
) -> None:
    await create_objective(client, "o1")
    await create_objective(client, "o2")
    command_id = str(uuid.uuid4())

    first = await client.send("record_check_in", **check_in("o1", command_id))
    second = await client.send("record_check_in", **check_in("o2", command_id))
    after = await client.send("record_check_in", **check_in("o2", str(uuid.uuid4())))

    assert isinstance(first, Accepted)
    assert not first.duplicate
    assert isinstance(second, Rejected)
    assert second.error.code is ErrorCode.COMMAND_ID_REUSED
    assert not second.error.retryable
    assert isinstance(after, Accepted)  # the victim's goal is unharmed
    assert await check_ins(service, tenant, "o1") == 1
    assert await check_ins(service, tenant, "o2") == 1


async def test_a_command_id_with_another_body_is_refused(
    client: OkrClient, service: CommandService, tenant: str
) -> None:
    await create_objective(client, "o1")
    command_id = str(uuid.uuid4())

    first = await client.send("record_check_in", **check_in("o1", command_id, 120))
    changed = await client.send("record_check_in", **check_in("o1", command_id, 150))

    assert isinstance(first, Accepted)
    assert isinstance(changed, Rejected)
    assert changed.error.code is ErrorCode.COMMAND_ID_REUSED
    assert await check_ins(service, tenant, "o1") == 1


async def test_the_same_command_id_in_two_tenants_stores_both(
    nats_client: Client, service: CommandService, tenant: str
) -> None:
    other = f"{tenant}-b"
    clients = [OkrClient(nats_client, t, "tester", service.subjects) for t in (tenant, other)]
    command_id = str(uuid.uuid4())
    replies = []
    for c in clients:
        await create_objective(c, "o1")
        replies.append(await c.send("record_check_in", **check_in("o1", command_id)))

    assert all(isinstance(r, Accepted) and not r.duplicate for r in replies)
    assert await check_ins(service, tenant, "o1") == 1
    assert await check_ins(service, other, "o1") == 1
    ids = {r.event_ids for r in replies if isinstance(r, Accepted)}
    assert len(ids) == 2  # event ids (the Nats-Msg-Id) name the tenant


async def test_a_true_resend_is_a_duplicate_inside_and_beyond_the_dedupe_window(
    nats_url: str, nats_client: Client, stream_settings: StreamSettings, tenant: str
) -> None:
    settings = Settings(
        nats_url=nats_url,
        stream_name=stream_settings.name,
        subject_root=stream_settings.subjects.root,
        duplicate_window_s=1.0,
    )
    async with command_service(settings, nats_url) as service:
        client = OkrClient(nats_client, tenant, "tester", service.subjects)
        await create_objective(client, "o1")
        body = check_in("o1", str(uuid.uuid4()))
        first = await client.send("record_check_in", **body)
        inside = await client.send("record_check_in", **body)
        await asyncio.sleep(1.5)
        beyond = await client.send("record_check_in", **body)

        assert isinstance(first, Accepted)
        assert not first.duplicate
        assert isinstance(inside, Accepted)
        assert inside.duplicate
        assert isinstance(beyond, Accepted)
        assert beyond.duplicate
        assert await check_ins(service, tenant, "o1") == 1


async def test_a_resend_without_meta_now_is_the_same_request(
    client: OkrClient, service: CommandService, tenant: str
) -> None:
    await create_objective(client, "o1")
    body = check_in("o1", str(uuid.uuid4()))
    body["meta"] = {"command_id": body["meta"]["command_id"]}  # the service stamps now
    body["applies_at"] = IN_Q4["now"]

    replies = [await client.send("record_check_in", **body) for _ in range(2)]

    assert [isinstance(r, Accepted) and r.duplicate for r in replies] == [False, True]



async def test_a_report_command_resent_with_another_value_is_the_same_report(
    client: OkrClient, service: CommandService, tenant: str
) -> None:
    await create_objective(client, "o1")
    command_id = str(uuid.uuid4())
    report = {
        "goal_type": "objective",
        "goal_id": "o1",
        "key_result_id": "arr",
        "source": "crm",
        "idempotency_key": "deal-1",
        "observed_at": "2026-11-01T08:00:00Z",
        "meta": {**IN_Q4, "command_id": command_id},
    }

    first = await client.send("report_progress", **report, value=130)
    again = await client.send("report_progress", **report, value=170)
    other_key = await client.send(
        "report_progress", **{**report, "idempotency_key": "deal-2"}, value=170
    )

    assert isinstance(first, Accepted)
    assert isinstance(again, Accepted)
    assert again.duplicate  # a report is named by its key, as over the ingest subject
    assert isinstance(other_key, Rejected)
    assert other_key.error.code is ErrorCode.COMMAND_ID_REUSED
