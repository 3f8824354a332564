"""Every outcome of a command becomes a typed reply: the refusal policy of the write side."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from events.subjects import Subjects
from services.adapters.event_store import StoreUnavailable
from services.application.codec import parse_command
from services.application.handler import CommandHandler
from services.application.outcomes import command_label, record_command
from services.domain.commands import Command
from services.domain.errors import ErrorCode, RuleViolation
from services.domain.replies import Rejected, Reply, rejected, unavailable

log = logging.getLogger(__name__)


async def answer(
    handler: CommandHandler,
    name: str,
    subject: str,
    body: bytes,
    clock: Callable[[], datetime],
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """Parse, execute and turn every outcome into a typed reply; never raises.

    Counted in the metrics and traced here, whatever transport brought it: ``headers``
    (the request's) may carry the caller's trace context.
    """
    started = time.perf_counter()
    tenant = Subjects.tenant_of_command(subject)
    telemetry = handler.telemetry
    with telemetry.tracing.handling(f"command {command_label(name)}", headers):
        reply = await _answer(handler, name, tenant, subject, body, clock)
    record_command(telemetry.metrics, name, tenant, reply, started)
    return reply


async def _answer(
    handler: CommandHandler,
    name: str,
    tenant: str,
    subject: str,
    body: bytes,
    clock: Callable[[], datetime],
) -> Reply:
    try:
        command = parse_command(name, tenant, body, clock())
    except RuleViolation as violation:
        return refused(violation)
    except Exception:
        # A bug in parsing must not leave the caller waiting for a reply either.
        log.exception("parsing a command on %s failed", subject)
        return rejected(ErrorCode.INTERNAL_ERROR, "the service failed to read this command")
    # An id the service stamped (the caller sent none) is a fresh uuid4 that no other
    # request can hold: there is nothing to claim, and the claim is a JetStream write.
    chosen = "command_id" in command.meta.model_fields_set
    return await run_command(handler, command, subject, claim_id=chosen)


async def run_command(
    handler: CommandHandler, command: Command, received_on: str, claim_id: bool = False
) -> Reply:
    """Execute a parsed command; every outcome becomes a typed reply (never raises).

    ``claim_id``: the caller chose the command id (ingest derives its own from the report).
    """
    try:
        return await handler.execute(command, claim_id)
    except RuleViolation as violation:
        return refused(violation)
    except (StoreUnavailable, TimeoutError) as exc:
        return _unavailable(received_on, exc)
    except Exception:
        # A bug must not leave the caller waiting for a reply that never comes.
        log.exception("command on %s failed", received_on)
        return rejected(
            ErrorCode.INTERNAL_ERROR,
            "the service failed on this command; resend it with the same meta.command_id "
            "(commands are idempotent by that id)",
        )


async def run_in_order(
    handler: CommandHandler, commands: Sequence[Command], received_on: str
) -> list[Reply]:
    """Execute commands on one aggregate in one append; a typed reply each (never raises)."""
    try:
        outcomes = await handler.execute_in_order(commands)
    except (StoreUnavailable, TimeoutError) as exc:
        down = _unavailable(received_on, exc)
        return [down for _ in commands]
    except Exception:
        log.exception("commands on %s failed", received_on)
        failed = rejected(ErrorCode.INTERNAL_ERROR, "the service failed on these reports; resend")
        return [failed for _ in commands]
    return [refused(o) if isinstance(o, RuleViolation) else o for o in outcomes]


def refused(violation: RuleViolation) -> Rejected:
    """The reply to a refused command (a lost race is worth retrying, a broken rule not)."""
    return rejected(
        violation.code,
        violation.message,
        violation.violations,
        retryable=violation.code is ErrorCode.CONCURRENCY_CONFLICT,
    )


def _unavailable(received_on: str, exc: Exception) -> Rejected:
    log.warning("store unavailable for %s: %s", received_on, exc)
    return unavailable(f"event store unavailable: {exc}")
