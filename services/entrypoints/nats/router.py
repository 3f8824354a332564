"""The NATS entry point: one router with the command and the ingest request/reply endpoints.

The service and the AsyncAPI document both include the router ``nats_router`` builds, so the
document shows what runs. What the endpoints call is handed to them when the service starts
(``serve``); the document's router never gets it, and never runs a handler.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from faststream.message import StreamMessage
from faststream.nats import NatsBroker, NatsMessage, NatsRouter

from events.subjects import COMMAND_QUEUE_GROUP, INGEST_QUEUE_GROUP, Subjects
from services.adapters.clock import now_utc
from services.application.answers import answer
from services.application.handler import CommandHandler
from services.application.ingest.reports import IngestReply
from services.application.ingest.service import Ingestor
from services.domain.errors import ErrorCode
from services.domain.replies import ErrorBody
from services.entrypoints.nats.requests import CommandBody, IngestBody

log = logging.getLogger(__name__)
HANDLER_CONCURRENCY = 64
INGEST_CONCURRENCY = 64
COMMANDS_TITLE: Final = "commands"
INGEST_TITLE: Final = "ingest_progress"
# Subject parameters: faststream subscribes with a wildcard in their place.
TENANT: Final = "{tenant}"
COMMAND: Final = "{command}"


@dataclass(frozen=True)
class Wiring:
    """What the endpoints call: the command handler, the ingestor and the service's clock."""

    handler: CommandHandler
    ingestor: Ingestor
    clock: Callable[[], datetime] = now_utc


@dataclass
class Endpoints:
    """What the router's handlers call: empty until the service starts them (``serve``).

    A closure, not faststream's Context: a Context parameter is resolved by a synchronous
    dependency that fast_depends runs in a worker thread, a thread hop per message.
    """

    wiring: Wiring | None = None

    def wired(self) -> Wiring:
        """The wiring; a router that only documents has none."""
        if self.wiring is None:
            raise RuntimeError("the NATS endpoints are documented here, not served")
        return self.wiring


async def raw_body(msg: StreamMessage[Any]) -> bytes:
    """A faststream decoder that hands the handler the bytes as sent.

    faststream's own decoder parses JSON before the handler runs and, when that fails,
    never calls it: a malformed body would get no reply at all.
    """
    return bytes(msg.body)


async def command(endpoints: Endpoints, body: bytes, msg: NatsMessage) -> bytes:
    """Every command, by the last token of its subject; an unknown name is answered too."""
    wiring = endpoints.wired()
    subject = msg.raw_message.subject
    name = Subjects.name_of_command(subject)
    reply = await answer(wiring.handler, name, subject, body, wiring.clock, msg.headers)
    return reply.model_dump_json().encode()


async def ingest_progress(endpoints: Endpoints, body: bytes, msg: NatsMessage) -> bytes:
    """One ProgressReport or a ProgressBatch; the reply is an IngestReply."""
    wiring = endpoints.wired()
    subject = msg.raw_message.subject
    try:
        reply = await wiring.ingestor.ingest(
            Subjects.tenant_of_ingest(subject), body, subject, msg.headers
        )
    except Exception:
        # A bug must not leave the integration waiting for a reply that never comes.
        log.exception("ingest on %s failed", subject)
        reply = IngestReply.refused(
            ErrorBody(
                code=ErrorCode.INTERNAL_ERROR,
                message="the service failed on this message; resend it (reports are "
                "idempotent by source and idempotency_key)",
                retryable=True,
            )
        )
    return reply.model_dump_json().encode()


def nats_router(subjects: Subjects, endpoints: Endpoints | None = None) -> NatsRouter:
    """The service's NATS endpoints, each load-balanced in its queue group.

    One subscription takes every command (the tenant and the name are subject parameters),
    so that a name the service does not know is answered instead of timing out.
    """
    slot = endpoints or Endpoints()

    async def commands(body: CommandBody, msg: NatsMessage) -> bytes:
        return await command(slot, body, msg)

    async def ingest(body: IngestBody, msg: NatsMessage) -> bytes:
        return await ingest_progress(slot, body, msg)

    router = NatsRouter()
    router.subscriber(
        subjects.command(TENANT, COMMAND),
        queue=COMMAND_QUEUE_GROUP,
        max_workers=HANDLER_CONCURRENCY,
        decoder=raw_body,
        title=COMMANDS_TITLE,
        description="Every command, one request/reply subject per command name: the body is "
        "that command's request (the messages below), the reply an Accepted or a Rejected. "
        "A name the service does not know is answered with UNKNOWN_COMMAND.",
    )(commands)
    router.subscriber(
        subjects.ingest(TENANT),
        queue=INGEST_QUEUE_GROUP,
        max_workers=INGEST_CONCURRENCY,
        decoder=raw_body,
        title=INGEST_TITLE,
        description="An integration reports observed progress (request/reply): one "
        'ProgressReport or a ProgressBatch {"reports": [...]}; each report is judged on its '
        "own, accepted ones are stored as progress.reported, refused ones are answered in "
        "the IngestReply and kept on the dead-letter stream.",
    )(ingest)
    return router


def serve(broker: NatsBroker, subjects: Subjects, wiring: Wiring) -> None:
    """Include the endpoints in the service's broker, with what they call."""
    broker.include_router(nats_router(subjects, Endpoints(wiring)))
