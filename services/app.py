"""The command service: faststream NATS handlers wired to the command handler."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from faststream.nats import NatsBroker, NatsMessage

from events.subjects import COMMAND_QUEUE_GROUP, Subjects
from services.codec import COMMANDS_BY_NAME, parse_command
from services.commands import Command
from services.errors import ErrorCode, RuleViolation
from services.handler import CommandHandler
from services.replies import Rejected, Reply, rejected
from services.store.event_store import StoreUnavailable

log = logging.getLogger(__name__)
HANDLER_CONCURRENCY = 64


def now_utc() -> datetime:
    """The service clock (only the I/O edge reads it)."""
    return datetime.now(UTC)


async def answer(
    handler: CommandHandler, name: str, subject: str, body: bytes, clock: Callable[[], datetime]
) -> Reply:
    """Parse, execute and turn every outcome into a typed reply; never raises."""
    try:
        command = parse_command(name, Subjects.tenant_of_command(subject), body, clock())
    except RuleViolation as violation:
        return refused(violation)
    return await run_command(handler, command, subject, claim_id=True)


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
    return rejected(ErrorCode.UNAVAILABLE, f"event store unavailable: {exc}", retryable=True)


def _endpoint(
    handler: CommandHandler, name: str, clock: Callable[[], datetime]
) -> Callable[[NatsMessage], Awaitable[bytes]]:
    async def endpoint(msg: NatsMessage) -> bytes:
        reply = await answer(handler, name, msg.raw_message.subject, msg.body, clock)
        return reply.model_dump_json().encode()

    endpoint.__name__ = name
    return endpoint


def register_commands(
    broker: NatsBroker,
    handler: CommandHandler,
    subjects: Subjects,
    clock: Callable[[], datetime] = now_utc,
) -> None:
    """Subscribe one request/reply endpoint per command, load-balanced in a queue group."""
    for name, command_type in COMMANDS_BY_NAME.items():
        broker.subscriber(
            subjects.command_wildcard(name),
            queue=COMMAND_QUEUE_GROUP,
            max_workers=HANDLER_CONCURRENCY,
            title=name,
            description=command_type.__doc__,
        )(_endpoint(handler, name, clock))
