"""Operating the service: /metrics counts exactly what was answered, one trace runs from an
HTTP request to the projector's span, /healthz and /readyz answer."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from nats.aio.client import Client
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from events.subjects import HEADER_TRACEPARENT
from services.adapters.stream import StreamSettings
from services.adapters.telemetry.metrics import Metrics
from services.adapters.telemetry.projection import SPAN_NAME
from services.adapters.telemetry.setup import Telemetry
from services.adapters.telemetry.tracing import Tracing
from services.application.auth import Role, TokenAuthority
from services.bootstrap import CommandService, ReadSide, command_service, read_side
from services.client import OkrClient
from services.domain.errors import ErrorCode
from services.domain.replies import Rejected
from tests.integration.conftest import bearer, read_settings
from tests.integration.test_http_access import objective
from tests.integration.test_ingest import send_json

pytestmark = pytest.mark.integration
NOW = {"now": "2026-10-02T09:00:00Z"}
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"


@dataclass
class Running:
    service: CommandService
    reads: ReadSide
    http: httpx.AsyncClient
    spans: InMemorySpanExporter


@pytest.fixture
async def running(
    nats_url: str, stream_settings: StreamSettings, database_url: str, pg_schema: str
) -> AsyncIterator[Running]:
    """Both sides on the test's own metrics registry and an in-memory span exporter."""
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    telemetry = Telemetry(Metrics(), Tracing(provider))
    settings = read_settings(stream_settings, pg_schema)
    async with (
        command_service(settings, nats_url, telemetry=telemetry) as service,
        read_side(settings, service.connection, database_url, telemetry=telemetry) as reads,
        httpx.AsyncClient(base_url=reads.http_url, timeout=20) as http,
    ):
        yield Running(service, reads, http, spans)


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def samples(http: httpx.AsyncClient) -> Samples:
    """Every sample of /metrics by (name, labels)."""
    answer = await http.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_count_a_known_sequence_of_commands_exactly(
    running: Running, nats_client: Client, tenant: str
) -> None:
    okr = OkrClient(nats_client, tenant, "ana", running.service.subjects)
    # What the service counted before (the listener's start-up probe is one unknown command).
    before = await samples(running.http)
    command_id = {**NOW, "command_id": "6f1c1a52-5d7e-4a53-9f0e-0a9f6f0b0b01"}
    for _ in range(2):  # the second is a resend: a duplicate
        assert (await okr.send("create_objective", **{**objective("o1"), "meta": command_id})).ok
    assert (await okr.send("create_objective", **objective("o2"))).ok
    refused = await okr.send("close_goal", goal_type="objective", goal_id="nope", meta=NOW)
    assert isinstance(refused, Rejected)
    assert refused.error.code is ErrorCode.UNKNOWN_GOAL
    unknown = running.service.subjects.command(tenant, "no_such")
    await nats_client.request(unknown, b"{}", timeout=10)
    bad = {
        "goal_type": "objective",
        "goal_id": "o1",
        "key_result_id": "none",
        "value": 1,
        "source": "crm",
        "idempotency_key": "k1",
        "observed_at": "2026-10-02T08:00:00Z",
    }
    ingested = await send_json(nats_client, running.service, tenant, {"reports": [bad, {"x": 1}]})
    assert ingested.rejected == 2
    await running.reads.wait_until_current()

    found = await samples(running.http)
    counted = {
        (labels["command"], labels["outcome"], labels["code"]): v - before.get((name, pairs), 0)
        for (name, pairs), v in found.items()
        if name == "okr_commands_total" and v > before.get((name, pairs), 0)
        for labels in [dict(pairs)]
    }
    assert counted == {
        ("create_objective", "accepted", "none"): 2,
        ("create_objective", "duplicate", "none"): 1,
        ("close_goal", "rejected", "unknown_goal"): 1,
        ("unknown", "rejected", "unknown_command"): 1,
    }
    assert value(found, "okr_command_duration_seconds_count", command="create_objective") == 3
    reports = "okr_ingest_reports_total"
    assert value(found, reports, outcome="rejected", code="unknown_key_result") == 1
    assert value(found, reports, outcome="rejected", code="invalid_report") == 1
    assert sum(v for (n, _), v in found.items() if n == "okr_dead_letters_total") == 2
    assert value(found, "okr_projector_events_applied_total") == 2  # two objectives created
    assert value(found, "okr_projector_lag_events") == 0
    assert value(found, "okr_parked_tenants") == 0
    assert not any(name.startswith("okr_seal_age") for name, _ in found)  # no seals yet
    text = (await running.http.get("/metrics")).text
    assert tenant not in text  # no tenant ids as label values by default


async def test_one_trace_runs_from_an_http_request_to_the_projectors_span(
    running: Running, authority: TokenAuthority, tenant: str
) -> None:
    headers = {
        **bearer(authority, tenant, Role.MEMBER),
        HEADER_TRACEPARENT: f"00-{TRACE_ID}-{CALLER_SPAN}-01",
    }
    answer = await running.http.post(
        f"/tenants/{tenant}/commands/create_objective", json=objective("o1"), headers=headers
    )
    assert answer.status_code == 200, answer.text
    await running.reads.wait_until_current()

    stored = await running.service.connection.jetstream().get_last_msg(
        running.service.stream_name, running.service.subjects.tenant(tenant)
    )
    assert stored.headers is not None
    assert stored.headers[HEADER_TRACEPARENT].split("-")[1] == TRACE_ID
    finished: tuple[ReadableSpan, ...] = running.spans.get_finished_spans()
    projected = [s for s in finished if s.name == SPAN_NAME]
    assert projected, [s.name for s in finished]
    assert {format(s.context.trace_id, "032x") for s in projected} == {TRACE_ID}
    names = {s.name for s in finished if format(s.context.trace_id, "032x") == TRACE_ID}
    assert "command create_objective" in names  # the application's span, between the two


async def test_healthz_and_readyz_name_each_check(running: Running) -> None:
    assert (await running.http.get("/healthz")).json() == {"alive": True}
    answer = await running.http.get("/readyz")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["ready"] is True
    assert set(body["checks"]) == {"nats", "streams", "postgres", "projector_lag", "parked_tenants"}
    assert all(check["ok"] for check in body["checks"].values()), json.dumps(body)
