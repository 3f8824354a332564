"""faststream's Prometheus and OpenTelemetry middlewares for the NATS handlers it runs.

Its Prometheus labels name the subject a message came on, and ours carry the tenant: the
labels here name the subscription's pattern instead (``cmd.okr.*.record_check_in``), and a
reply's destination (a one-off inbox) as ``_INBOX``, so the series stay few.
"""

from __future__ import annotations

from typing import Any

from faststream.middlewares import BaseMiddleware
from faststream.nats.opentelemetry import NatsTelemetryMiddleware
from faststream.nats.prometheus.provider import NatsMetricsSettingsProvider
from faststream.prometheus import ConsumeAttrs, PrometheusMiddleware
from nats.aio.msg import Msg

from events.subjects import Subjects
from services.adapters.telemetry.metrics import Metrics
from services.adapters.telemetry.tracing import Tracing

INBOX_PREFIX = "_INBOX."


class _TenantFreeLabels(NatsMetricsSettingsProvider):
    def get_consume_attrs_from_message(self, msg: Any) -> ConsumeAttrs:
        attrs = super().get_consume_attrs_from_message(msg)
        attrs["destination_name"] = Subjects.without_tenant(attrs["destination_name"])
        return attrs

    def get_publish_destination_name_from_cmd(self, cmd: Any) -> str:
        destination = str(super().get_publish_destination_name_from_cmd(cmd))
        if destination.startswith(INBOX_PREFIX):
            return INBOX_PREFIX.rstrip(".")
        return Subjects.without_tenant(destination)


def _labels(msg: Msg | None) -> _TenantFreeLabels | None:
    return _TenantFreeLabels() if msg is None or isinstance(msg, Msg) else None


def broker_middlewares(metrics: Metrics, tracing: Tracing) -> tuple[type[BaseMiddleware], ...]:
    """Metrics always; tracing only with a tracer provider (else it would only cost)."""
    middlewares: list[Any] = [
        PrometheusMiddleware(
            settings_provider_factory=_labels,
            registry=metrics.registry,
        )
    ]
    if tracing.provider is not None:
        middlewares.append(NatsTelemetryMiddleware(tracer_provider=tracing.provider))
    return tuple(middlewares)
