"""Telemetry without servers: JSON log lines with trace ids, readiness verdicts, metric labels."""

from __future__ import annotations

import io
import json
import logging
from typing import Any, cast

from nats.aio.client import Client
from opentelemetry.sdk.trace import TracerProvider

from projections.views import ProjectionLag
from services.adapters.telemetry.logs import JsonFormatter
from services.adapters.telemetry.metrics import Metrics
from services.adapters.telemetry.progress import Progress
from services.adapters.telemetry.tracing import Tracing, current_traceparent
from services.application.readiness import CHECKS, ReadinessProbe


def record(message: str) -> logging.LogRecord:
    return logging.LogRecord("okr.test", logging.WARNING, __file__, 1, message, (), None)


def test_a_json_log_line_carries_the_active_trace() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        line = json.loads(JsonFormatter().format(record("store unavailable")))
    assert line["message"] == "store unavailable"
    assert line["level"] == "WARNING"
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert "trace_id" not in json.loads(JsonFormatter().format(record("idle")))


def test_an_incoming_traceparent_is_passed_on_without_a_tracer() -> None:
    sent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    with Tracing(None).handling("command x", {"traceparent": sent}):
        assert current_traceparent() == sent
    assert current_traceparent() is None


def test_metric_labels_name_no_tenant() -> None:
    metrics = Metrics()
    metrics.command_answered("record_check_in", "accepted", "none", 0.001, "acme")
    assert metrics.registry.get_sample_value(
        "okr_commands_total",
        {"command": "record_check_in", "outcome": "accepted", "code": "none"},
    ) == 1


class Connected:
    is_connected = True

    def jetstream(self) -> Any:
        return object()  # the probe below checks no stream


def probe(lag: int, parked: int) -> ReadinessProbe:
    async def ping() -> None:
        return None

    async def state() -> ProjectionLag:
        return ProjectionLag(
            projection="p", checkpoint=0, stream_head=lag, lag=lag, parked_tenants=parked
        )

    return ReadinessProbe(cast(Client, Connected()), [], ping, state, max_lag=100, timeout_s=1)


async def test_readiness_fails_a_lagging_projection_and_a_parked_tenant() -> None:
    ok = {c.name: c.ok for c in await probe(lag=100, parked=0).checks()}
    assert ok == dict.fromkeys(CHECKS, True)
    behind = {c.name: c.ok for c in await probe(lag=101, parked=1).checks()}
    assert behind["projector_lag"] is False
    assert behind["parked_tenants"] is False
    assert behind["postgres"] is True


def test_progress_off_a_terminal_is_plain_lines_with_rate_and_eta() -> None:
    out = io.StringIO()
    with Progress("verified events", 1000, out=out, every_s=0) as shown:
        shown.update(250)
    with Progress("stream fill", None, out=out, every_s=3600) as shown:
        shown.update(10)  # no line until the end: the interval has not passed
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("verified events: 250 of 1,000 (25 %), ")
    assert "/s" in lines[0]
    assert "ETA" in lines[0]
    assert lines[-1].startswith("stream fill: 10, ")
    assert len(lines) == 3  # one per update shown, one at each end
