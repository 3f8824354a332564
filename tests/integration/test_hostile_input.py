"""Hostile and careless input over NATS: every message answered in time with a typed
error, nothing stored for a refusal, refused ingest messages kept as sent."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from nats.aio.client import Client
from nats.errors import NoRespondersError
from pydantic import TypeAdapter

from events.values import Cycle
from services.application.ingest.reports import IngestReply
from services.bootstrap import CommandService
from services.client import OkrClient
from services.domain.errors import ErrorCode
from services.domain.replies import Accepted, Rejected

pytestmark = pytest.mark.integration
Q4 = Cycle.quarter("2026-q4").model_dump(mode="json")
IN_Q4 = {"now": "2026-11-02T09:00:00Z"}
REPLY: TypeAdapter[Accepted | Rejected] = TypeAdapter(Accepted | Rejected)
NO_RESPONDER_RETRIES = 20
JSON_HEADERS = {"content-type": "application/json"}
# Bodies a JSON framework chokes on before any handler runs.
UNDECODABLE = [
    pytest.param(b"[" * 3000 + b"]" * 3000, id="nested-3000-deep"),
    pytest.param(b'{"value": ' + b"7" * 5000 + b"}", id="5000-digit-integer"),
    pytest.param(b"{not json", id="invalid-json"),
    pytest.param(b"\xff\xfe{}", id="not-utf-8"),
]


def objective(**fields: Any) -> dict[str, Any]:
    return {
        "objective_id": "o1",
        "title": "Grow",
        "level": "company",
        "owner": "ceo",
        "cycle": Q4,
        "meta": {**IN_Q4, "actor": "ana"},
        **fields,
    }


async def request(nc: Client, subject: str, body: bytes) -> bytes:
    """The reply's bytes; sent with a JSON content type, as a careless client would."""
    for _ in range(NO_RESPONDER_RETRIES):
        try:
            return (await nc.request(subject, body, timeout=3, headers=JSON_HEADERS)).data
        except NoRespondersError:
            # Seen right after the service subscribed; a moment later the request is routed.
            await asyncio.sleep(0.1)
    raise AssertionError(f"no responder on {subject}")


async def command(
    nc: Client, service: CommandService, tenant: str, name: str, body: bytes
) -> Accepted | Rejected:
    return REPLY.validate_json(await request(nc, service.subjects.command(tenant, name), body))


async def report(nc: Client, service: CommandService, tenant: str, body: bytes) -> IngestReply:
    return IngestReply.model_validate_json(await request(nc, service.subjects.ingest(tenant), body))


async def stored(service: CommandService, tenant: str) -> list[str]:
    return [e.envelope.event_type for e in await service.store.load_tenant(tenant)]


def refusal(reply: Accepted | Rejected) -> tuple[ErrorCode, set[str]]:
    assert isinstance(reply, Rejected), reply
    assert not reply.error.retryable
    return reply.error.code, {v.criterion for v in reply.error.violations}


@pytest.mark.parametrize("body", UNDECODABLE)
async def test_an_undecodable_command_is_answered(
    nats_client: Client, service: CommandService, tenant: str, body: bytes
) -> None:
    reply = await command(nats_client, service, tenant, "create_objective", body)

    assert refusal(reply)[0] == ErrorCode.MALFORMED_REQUEST
    assert await stored(service, tenant) == []


@pytest.mark.parametrize("body", UNDECODABLE)
async def test_an_undecodable_report_is_answered_and_kept_as_sent(
    nats_client: Client, service: CommandService, tenant: str, body: bytes
) -> None:
    reply = await report(nats_client, service, tenant, body)

    assert reply.error is not None
    assert reply.error.code == ErrorCode.MALFORMED_REQUEST
    [kept] = await service.dead_letters.read(tenant)
    assert kept.body == body


async def test_an_unknown_command_is_answered_typed(
    nats_client: Client, service: CommandService, tenant: str
) -> None:
    reply = await command(nats_client, service, tenant, "no_such_command", b"{}")

    assert refusal(reply)[0] == ErrorCode.UNKNOWN_COMMAND


@pytest.mark.parametrize(
    ("raw_title", "criterion"),
    [
        pytest.param('"a\\u0000b"', "title", id="nul"),
        pytest.param('"a\\ud800b"', "title", id="lone-surrogate"),
        pytest.param('"a\\udfffb"', "title", id="lone-low-surrogate"),
    ],
)
async def test_text_the_store_cannot_hold_is_refused_by_field(
    nats_client: Client, service: CommandService, tenant: str, raw_title: str, criterion: str
) -> None:
    body = json.dumps(objective(title="PLACEHOLDER")).replace('"PLACEHOLDER"', raw_title)

    reply = await command(nats_client, service, tenant, "create_objective", body.encode())

    assert refusal(reply) == (ErrorCode.INVALID_COMMAND, {criterion})
    assert await stored(service, tenant) == []


async def test_text_deep_inside_a_command_is_named_by_its_path(
    nats_client: Client, service: CommandService, tenant: str
) -> None:
    client = OkrClient(nats_client, tenant, "ana", service.subjects)
    await client.execute("create_objective", **objective())
    terms = {
        "title": "Ship",
        "weight": 1,
        "metric": {"kind": "milestone", "target": 2, "milestones": ["beta", "ga\u0000"]},
    }

    reply = await client.send(
        "add_key_result", objective_id="o1", key_result_id="k1", terms=terms, meta=IN_Q4
    )

    assert refusal(reply) == (ErrorCode.INVALID_COMMAND, {"terms.metric.milestones.1"})
    assert await stored(service, tenant) == ["objective.created"]


async def test_zero_width_and_right_to_left_text_is_stored(
    nats_client: Client, service: CommandService, tenant: str
) -> None:
    title = "Grow\u200b \u202eeunever\u202c \u05e9\u05dc\u05d5\u05dd"
    client = OkrClient(nats_client, tenant, "ana", service.subjects)

    await client.execute("create_objective", **objective(title=title))

    [created] = await service.store.load_tenant(tenant)
    assert created.envelope.payload.title == title  # type: ignore[attr-defined]


async def test_a_report_with_unstorable_text_is_refused_by_field_and_kept(
    nats_client: Client, service: CommandService, tenant: str
) -> None:
    fields = {
        "goal_type": "objective",
        "goal_id": "o1",
        "key_result_id": "arr",
        "value": 1,
        "source": "crm",
        "idempotency_key": "PLACEHOLDER",
        "observed_at": "2026-11-10T08:00:00Z",
    }
    body = json.dumps(fields).replace('"PLACEHOLDER"', '"k\\ud800"').encode()

    reply = await report(nats_client, service, tenant, body)

    [result] = reply.results
    assert result.error is not None
    assert result.error.code == ErrorCode.INVALID_REPORT
    assert [v.criterion for v in result.error.violations] == ["idempotency_key"]
    [kept] = await service.dead_letters.read(tenant)
    assert kept.body == body


@pytest.mark.parametrize(
    ("name", "fields", "criterion"),
    [
        pytest.param(
            "create_objective",
            objective(cycle={**Q4, "ends_on": "9999-12-31"}),
            "cycle",
            id="quarter-id-reused-far-future",
        ),
        pytest.param(
            "create_objective",
            objective(cycle={"id": "forever", "starts_on": "2026-10-01", "ends_on": "9999-12-31"}),
            "cycle",
            id="far-future-cycle",
        ),
        pytest.param("create_objective", objective(team="t" * 200_000), "team", id="long-team"),
        pytest.param(
            "create_smart_goal",
            {
                "goal_id": "s1",
                "owner": "ana",
                "statement": "Publish three onboarding guides for trial users",
                "cycle": Q4,
                "metric": {"kind": "numeric", "baseline": 0, "target": 3},
                "deadline": "9999-12-31",
                "personal": True,
                "meta": {**IN_Q4, "actor": "ana"},
            },
            "deadline",
            id="far-future-deadline",
        ),
    ],
)
async def test_input_the_read_side_cannot_serve_is_refused_by_field(
    nats_client: Client,
    service: CommandService,
    tenant: str,
    name: str,
    fields: dict[str, Any],
    criterion: str,
) -> None:
    reply = await command(nats_client, service, tenant, name, json.dumps(fields).encode())

    assert refusal(reply) == (ErrorCode.INVALID_COMMAND, {criterion})
    assert await stored(service, tenant) == []
