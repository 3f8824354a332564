"""Poison input at the edge, over NATS and over HTTP: hostile text (NUL, lone surrogates,
zero-width and right-to-left characters, 1 MB strings), deep and huge JSON, extreme
numbers, dates at and past the window. Each is answered in time with a typed answer and
no 5xx but a documented 503; a refusal stores nothing; another tenant's commands sent
meanwhile are all stored and the read models catch up."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from services.application.auth import Role, TokenAuthority
from services.bootstrap import CommandService, ReadSide, command_service, read_side
from services.client import OkrClient
from services.domain.errors import ErrorCode
from services.domain.replies import Accepted, Rejected
from services.settings import Settings
from tests.faults.payloads import Q4
from tests.faults.profiles import connect

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 15, 12, tzinfo=UTC)
SECRET = "poison-test-secret-of-at-least-32-bytes"
ANSWER_TIMEOUT_S = 10.0
REPLY: TypeAdapter[Accepted | Rejected] = TypeAdapter(Accepted | Rejected)
SLOT = "POISON-SLOT"  # replaced by a raw JSON literal, so that any bytes can be sent

HOSTILE_TEXT = st.one_of(
    st.text(alphabet=st.sampled_from("a\x00\u200b\u200f\u202e\u2066"), min_size=1, max_size=8),
    st.builds(lambda s: f"a{chr(s)}b", st.integers(0xD800, 0xDFFF)),
    st.just("x" * 1_000_000),
    st.just("\u202eevil\u202c\u200d"),
)
RAW_LITERALS = st.sampled_from(
    ["7" * 5000, "1e308", "-1e308", "-0.0", "NaN", "Infinity", "1e400", "18446744073709551616"]
)
DATES = st.sampled_from(["1969-12-31", "1970-01-01", "2100-12-31", "2101-01-01", "9999-12-31"])


@st.composite
def poison_requests(draw: st.DrawFn) -> tuple[str, bytes]:
    """A command with one hostile value in one field (or a hostile body), as raw bytes."""
    kind = draw(st.sampled_from(["text", "number", "date", "deep"]))
    if kind == "deep":
        depth = draw(st.integers(30, 5000))
        return "create_objective", b"[" * depth + b"]" * depth
    if kind == "number":
        fields = {"goal_type": "objective", "goal_id": "o1", "key_result_id": "k1"}
        body = {**fields, "value": SLOT, "confidence": 0.5}
        raw = json.dumps(body).replace(f'"{SLOT}"', draw(RAW_LITERALS))
        return "record_check_in", raw.encode()
    body = {
        "objective_id": draw(st.sampled_from(["o1", "p1", "p2"])),
        "title": "Grow",
        "level": "company",
        "owner": "ceo",
        "cycle": Q4,
    }
    if kind == "text":
        body[draw(st.sampled_from(["title", "owner", "team", "description"]))] = draw(HOSTILE_TEXT)
    else:
        end = draw(DATES)
        body["cycle"] = {
            "id": draw(st.sampled_from(["2026-q4", "c1"])),
            "starts_on": "2026-10-01",
            "ends_on": end,
        }
    return "create_objective", json.dumps(body).encode()


@dataclass
class Target:
    """The service, its read side and HTTP API, and a tenant to poison."""

    service: CommandService
    reads: ReadSide
    http: httpx.AsyncClient
    client: OkrClient
    tenant: str
    token: str


@pytest.fixture
async def target(
    nats_url: str, database_url: str, pg_schema: str, fault_settings: Settings, tenant: str
) -> AsyncIterator[Target]:
    """A service on a fixed clock with its read side; objective 'o1' with KR 'k1' exists."""
    settings = replace(fault_settings, nats_url=nats_url, db_schema=pg_schema, auth_secret=SECRET)
    token = TokenAuthority(SECRET).issue(tenant, Role.ADMIN, "poisoner", datetime.now(UTC))
    async with (
        command_service(settings, nats_url, clock=lambda: NOW) as service,
        read_side(settings, service.connection, database_url) as reads,
        httpx.AsyncClient(base_url=reads.http_url, timeout=ANSWER_TIMEOUT_S) as http,
    ):
        nc = await connect(nats_url)
        try:
            client = OkrClient(nc, tenant, "poisoner", service.subjects, ANSWER_TIMEOUT_S)
            await client.execute(
                "create_objective",
                objective_id="o1",
                title="Grow",
                level="company",
                owner="ceo",
                cycle=Q4,
            )
            terms = {"title": "k1", "weight": 1, "metric": {"kind": "numeric", "target": 9}}
            await client.execute(
                "add_key_result", objective_id="o1", key_result_id="k1", terms=terms
            )
            yield Target(service, reads, http, client, tenant, token)
        finally:
            await nc.close()


async def _events(t: Target, tenant: str) -> int:
    return len(await t.service.store.load_tenant(tenant))


async def _send(t: Target, name: str, body: bytes, over_http: bool) -> Accepted | Rejected:
    if not over_http:
        return await t.client.send_raw(name, body)
    response = await t.http.post(
        f"/tenants/{t.tenant}/commands/{name}",
        content=body,
        headers={"Authorization": f"Bearer {t.token}", "content-type": "application/json"},
    )
    assert response.status_code < 500 or response.status_code == 503, response.text
    return REPLY.validate_python(response.json())


async def check_poison(t: Target, name: str, body: bytes, over_http: bool) -> None:
    """A typed answer in time; a refusal stores nothing, an acceptance what it says."""
    before = await _events(t, t.tenant)
    began = time.monotonic()
    reply = await _send(t, name, body, over_http)
    assert time.monotonic() - began < ANSWER_TIMEOUT_S
    stored = await _events(t, t.tenant) - before
    if isinstance(reply, Rejected):
        assert reply.error.code not in (ErrorCode.INTERNAL_ERROR, ErrorCode.UNAVAILABLE), reply
        assert stored == 0, reply
    else:
        assert stored == (0 if reply.duplicate else len(reply.event_ids))


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=poison_requests(), over_http=st.booleans())
async def test_poison_is_answered_typed_and_stores_nothing_partial(
    target: Target, request: tuple[str, bytes], over_http: bool
) -> None:
    await check_poison(target, *request, over_http)


async def test_poison_does_not_stop_another_tenant_or_the_read_side(
    target: Target, nats_url: str
) -> None:
    nc = await connect(nats_url)
    bystander_tenant = f"{target.tenant}-b"
    other = OkrClient(nc, bystander_tenant, "ana", target.service.subjects, ANSWER_TIMEOUT_S)
    poison = [
        ("create_objective", json.dumps({"objective_id": "n1", "title": "a\u0000b"}).encode()),
        ("create_objective", b"[" * 3000 + b"]" * 3000),
        (
            "record_check_in",
            b'{"goal_type":"objective","goal_id":"o1","value":' + b"7" * 5000 + b"}",
        ),
        (
            "create_objective",
            json.dumps({"objective_id": "n2", "cycle": {**Q4, "ends_on": "9999-12-31"}}).encode(),
        ),
    ]

    async def bystander() -> list[Accepted | Rejected]:
        return [
            await other.send(
                "create_objective",
                objective_id=f"b{i}",
                title="Steady",
                level="team",
                owner="lead",
                cycle=Q4,
            )
            for i in range(10)
        ]

    replies, *_ = await asyncio.gather(
        bystander(), *(check_poison(target, n, b, i % 2 == 0) for i, (n, b) in enumerate(poison))
    )

    await nc.close()
    assert all(isinstance(r, Accepted) for r in replies), replies
    assert await _events(target, bystander_tenant) == 10
    await target.reads.wait_until_current(timeout_s=20)
    assert (await target.reads.lag()).lag == 0
