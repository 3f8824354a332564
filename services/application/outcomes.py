"""What a command's or a report's answer counts as in the metrics: outcome and error code."""

from __future__ import annotations

import time
from typing import Final

from services.adapters.telemetry.metrics import NO_ERROR, Metrics
from services.application.codec import COMMANDS_BY_NAME
from services.domain.errors import ErrorCode
from services.domain.replies import Accepted, Reply

ACCEPTED: Final = "accepted"
DUPLICATE: Final = "duplicate"
REJECTED: Final = "rejected"
# A name the service does not know is one label value, however many are tried.
UNKNOWN_NAME: Final = "unknown"


def command_label(name: str) -> str:
    """The metric label of a command name (unknown names share one)."""
    return name if name in COMMANDS_BY_NAME else UNKNOWN_NAME


def record_command(
    metrics: Metrics, name: str, tenant: str, reply: Reply, started: float
) -> None:
    """Count ``reply`` to the command ``name`` and its latency since ``started``."""
    if isinstance(reply, Accepted):
        outcome, code = (DUPLICATE if reply.duplicate else ACCEPTED), NO_ERROR
    else:
        outcome, code = REJECTED, reply.error.code.value
    metrics.command_answered(
        command_label(name), outcome, code, time.perf_counter() - started, tenant
    )


def record_report(
    metrics: Metrics, tenant: str, duplicate: bool, error: ErrorCode | None
) -> None:
    """Count the answer to one progress report."""
    if error is not None:
        metrics.report_answered(REJECTED, error.value, tenant)
    else:
        metrics.report_answered(DUPLICATE if duplicate else ACCEPTED, NO_ERROR, tenant)
