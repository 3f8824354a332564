"""One process's telemetry: its metrics registry and its tracing, built once from settings."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from prometheus_client import REGISTRY

from services.adapters.telemetry.metrics import Metrics
from services.adapters.telemetry.projection import ProjectionTelemetry
from services.adapters.telemetry.tracing import Tracing, otlp_provider
from services.settings import Settings

TRACES_OFF = "none"
TRACES_OTLP = "otlp"


@dataclass(frozen=True)
class Telemetry:
    """Where a service records metrics and spans (tests build their own)."""

    metrics: Metrics = field(default_factory=Metrics)
    tracing: Tracing = field(default_factory=Tracing)

    def projection(self) -> ProjectionTelemetry:
        """The projector's observer."""
        return ProjectionTelemetry(self.metrics, self.tracing)


@functools.cache
def process_telemetry(tenant_labels: bool, traces_exporter: str) -> Telemetry:
    """The process's telemetry (one per process: the command and read sides share it)."""
    if traces_exporter not in (TRACES_OFF, TRACES_OTLP):
        raise ValueError(
            f"OKR_TRACES_EXPORTER is {traces_exporter!r}: {TRACES_OFF!r} or {TRACES_OTLP!r}"
        )
    provider = otlp_provider() if traces_exporter == TRACES_OTLP else None
    # The default registry also carries the process and platform collectors.
    return Telemetry(Metrics(REGISTRY, tenant_labels), Tracing(provider))


def telemetry_for(settings: Settings) -> Telemetry:
    """The process's telemetry under ``settings``."""
    return process_telemetry(settings.metrics_tenant_labels, settings.traces_exporter)
