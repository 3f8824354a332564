"""The service's own Prometheus metrics (``okr_*``), cheap enough for the write path.

What a command or report records goes to tallies (``tallies.py``: a dict update, well under
a microsecond); the projector's per-batch metrics use prometheus_client's own types.
"""

from __future__ import annotations

from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from services.adapters.telemetry.tallies import Spread, Tally

PREFIX: Final = "okr"
NO_ERROR: Final = "none"
# Seconds: a cached command takes ~1 ms, a re-decided one or a cold load tens of ms.
LATENCY_BUCKETS: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5)
BATCH_SIZE_BUCKETS: Final = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000)
BATCH_SECONDS_BUCKETS: Final = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30)


class Metrics:
    """Counters, histograms and gauges of one service, on one registry.

    ``tenant_labels`` adds a ``tenant`` label to the outcome counters: one series per tenant
    and code, so only for deployments with few tenants (``OKR_METRICS_TENANT_LABELS``).
    """

    def __init__(
        self, registry: CollectorRegistry | None = None, tenant_labels: bool = False
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.tenant_labels = tenant_labels
        by_tenant = ("tenant",) if tenant_labels else ()
        r = self.registry
        self._commands = Tally(
            f"{PREFIX}_commands",
            "Commands answered, by command name, outcome (accepted, duplicate, rejected) "
            "and error code",
            ("command", "outcome", "code", *by_tenant),
        )
        self._latency = Spread(
            f"{PREFIX}_command_duration_seconds",
            "Time from a command's arrival to its reply, by command name",
            ("command",),
            LATENCY_BUCKETS,
        )
        self._reports = Tally(
            f"{PREFIX}_ingest_reports",
            "Progress reports answered, by outcome (accepted, duplicate, rejected) and "
            "error code",
            ("outcome", "code", *by_tenant),
        )
        self._dead_letters = Tally(
            f"{PREFIX}_dead_letters",
            "Refused progress reports kept on the dead-letter stream, by error code",
            ("code",),
        )
        for tally in (self._commands, self._latency, self._reports, self._dead_letters):
            r.register(tally)
        self.batch_size = Histogram(
            f"{PREFIX}_projector_batch_size",
            "Messages per batch the projector wrote",
            buckets=BATCH_SIZE_BUCKETS,
            registry=r,
        )
        self.batch_seconds = Histogram(
            f"{PREFIX}_projector_batch_duration_seconds",
            "Time to write one batch to PostgreSQL, commit included",
            buckets=BATCH_SECONDS_BUCKETS,
            registry=r,
        )
        self.events_applied = Counter(
            f"{PREFIX}_projector_events_applied",
            "Events the projector applied to the read models",
            registry=r,
        )
        self.projector_lag = Gauge(
            f"{PREFIX}_projector_lag_events",
            "Stream head minus the read models' checkpoint, as of the last scrape",
            registry=r,
        )
        self.parked_tenants = Gauge(
            f"{PREFIX}_parked_tenants",
            "Tenants whose projection is parked on an event it could not apply",
            registry=r,
        )
        # Exported only once something seals the log: an absent series, not a false zero.
        self.seal_age = Gauge(
            f"{PREFIX}_seal_age_seconds",
            "Seconds since the newest signed tree head of the event log",
            registry=r,
        )
        self.registry.unregister(self.seal_age)
        self._sealed = False

    def command_answered(
        self, command: str, outcome: str, code: str, seconds: float, tenant: str
    ) -> None:
        """Count one command's answer and observe its latency."""
        if self.tenant_labels:
            self._commands.inc(command, outcome, code, tenant)
        else:
            self._commands.inc(command, outcome, code)
        self._latency.observe(seconds, command)

    def report_answered(self, outcome: str, code: str, tenant: str) -> None:
        """Count one progress report's answer."""
        if self.tenant_labels:
            self._reports.inc(outcome, code, tenant)
        else:
            self._reports.inc(outcome, code)

    def dead_letter_kept(self, code: str) -> None:
        """Count one refused report kept on the dead-letter stream."""
        self._dead_letters.inc(code)

    def batch_written(self, size: int, applied: int, seconds: float) -> None:
        """Observe one projector batch."""
        self.batch_size.observe(size)
        self.batch_seconds.observe(seconds)
        self.events_applied.inc(applied)

    def projection_state(self, lag: int, parked_tenants: int) -> None:
        """Set the projector's lag and the number of parked tenants."""
        self.projector_lag.set(lag)
        self.parked_tenants.set(parked_tenants)

    def sealed(self, age_s: float) -> None:
        """Set the age of the newest seal (the gauge appears with the first one)."""
        if not self._sealed:
            self.registry.register(self.seal_age)
            self._sealed = True
        self.seal_age.set(age_s)
