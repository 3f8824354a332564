"""The NATS entry point: the command and ingest request/reply endpoints, declared once.

Each endpoint is served by a ``Listener`` (a plain nats-py subscription, our own bounded
tasks: ``listener.py``) and documented by the faststream router ``nats_router`` builds from
the same declaration, so the AsyncAPI document shows what runs. The document's router is
never served and never runs a handler.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from faststream.message import StreamMessage
from faststream.nats import NatsMessage, NatsRouter
from nats.aio.client import Client

from events.subjects import COMMAND_QUEUE_GROUP, INGEST_QUEUE_GROUP, Subjects
from services.adapters.clock import now_utc
from services.application.answers import answer
from services.application.handler import CommandHandler
from services.application.ingest.reports import IngestReply
from services.application.ingest.service import Ingestor
from services.domain.errors import ErrorCode
from services.domain.replies import ErrorBody, unavailable
from services.entrypoints.nats.listener import Limits, Listener, Respond
from services.entrypoints.nats.requests import CommandBody, IngestBody

log = logging.getLogger(__name__)
COMMAND_LIMITS = Limits(running=64, waiting=192)
INGEST_LIMITS = Limits(running=64, waiting=192)
COMMANDS_TITLE: Final = "commands"
INGEST_TITLE: Final = "ingest_progress"
# Subject parameters: the document shows them named, the subscription has a wildcard there.
TENANT: Final = "{tenant}"
COMMAND: Final = "{command}"


@dataclass(frozen=True)
class Wiring:
    """What the endpoints call: the command handler, the ingestor and the service's clock."""

    handler: CommandHandler
    ingestor: Ingestor
    clock: Callable[[], datetime] = now_utc


async def raw_body(msg: StreamMessage[Any]) -> bytes:
    """A faststream decoder that hands the handler the bytes as sent (for the document:
    the payload schema comes from the annotation, the body stays bytes)."""
    return bytes(msg.body)


async def command(wiring: Wiring, subject: str, body: bytes, headers: Mapping[str, str]) -> bytes:
    """Every command, by the last token of its subject; an unknown name is answered too.

    ``headers`` are the request's own (a trace context travels there)."""
    name = Subjects.name_of_command(subject)
    reply = await answer(wiring.handler, name, subject, body, wiring.clock, headers)
    return reply.model_dump_json().encode()


async def ingest_progress(
    wiring: Wiring, subject: str, body: bytes, headers: Mapping[str, str]
) -> bytes:
    """One ProgressReport or a ProgressBatch; the reply is an IngestReply."""
    try:
        reply = await wiring.ingestor.ingest(
            Subjects.tenant_of_ingest(subject), body, subject, headers
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


def _busy(what: str, limits: Limits) -> str:
    return (
        f"the service holds {limits.running + limits.waiting} {what} already; "
        "resend shortly (requests are idempotent by their ids)"
    )


@dataclass(frozen=True)
class Endpoint:
    """One request/reply endpoint: where it listens, what answers, what the document says."""

    documented_subject: str  # with {parameters}
    served_subject: str  # with wildcards
    queue: str
    title: str
    description: str
    documented: Callable[..., Any]  # its annotations give the document's payload schema
    respond: Callable[[Wiring, str, bytes, Mapping[str, str]], Any]
    limits: Limits
    busy: bytes  # the reply beyond ``limits``


async def _commands(body: CommandBody, msg: NatsMessage) -> bytes:
    raise RuntimeError("the NATS endpoints are documented here, served by listeners")


async def _ingest(body: IngestBody, msg: NatsMessage) -> bytes:
    raise RuntimeError("the NATS endpoints are documented here, served by listeners")


def endpoints(subjects: Subjects) -> tuple[Endpoint, ...]:
    """The service's NATS endpoints, each load-balanced in its queue group.

    One subscription takes every command (the tenant and the name are subject parameters),
    so that a name the service does not know is answered instead of timing out.
    """
    return (
        Endpoint(
            subjects.command(TENANT, COMMAND),
            subjects.any_command(),
            COMMAND_QUEUE_GROUP,
            COMMANDS_TITLE,
            "Every command, one request/reply subject per command name: the body is "
            "that command's request (the messages below), the reply an Accepted or a Rejected. "
            "A name the service does not know is answered with UNKNOWN_COMMAND; beyond the "
            "requests the service holds at once, with a retryable UNAVAILABLE.",
            _commands,
            command,
            COMMAND_LIMITS,
            unavailable(_busy("commands", COMMAND_LIMITS)).model_dump_json().encode(),
        ),
        Endpoint(
            subjects.ingest(TENANT),
            subjects.ingest_wildcard(),
            INGEST_QUEUE_GROUP,
            INGEST_TITLE,
            "An integration reports observed progress (request/reply): one "
            'ProgressReport or a ProgressBatch {"reports": [...]}; each report is judged on its '
            "own, accepted ones are stored as progress.reported, refused ones are answered in "
            "the IngestReply and kept on the dead-letter stream.",
            _ingest,
            ingest_progress,
            INGEST_LIMITS,
            IngestReply.refused(unavailable(_busy("messages", INGEST_LIMITS)).error)
            .model_dump_json()
            .encode(),
        ),
    )


def nats_router(subjects: Subjects) -> NatsRouter:
    """The endpoints as a faststream router, for the AsyncAPI document (never served)."""
    router = NatsRouter()
    for endpoint in endpoints(subjects):
        router.subscriber(
            endpoint.documented_subject,
            queue=endpoint.queue,
            decoder=raw_body,
            title=endpoint.title,
            description=endpoint.description,
        )(endpoint.documented)
    return router


def _bound(endpoint: Endpoint, wiring: Wiring) -> Respond:
    async def respond(subject: str, body: bytes, headers: Mapping[str, str]) -> bytes:
        reply: bytes = await endpoint.respond(wiring, subject, body, headers)
        return reply

    return respond


async def serve(nc: Client, subjects: Subjects, wiring: Wiring) -> list[Listener]:
    """Start answering every endpoint on ``nc`` with what ``wiring`` holds."""
    listeners = [
        Listener(e.served_subject, e.queue, _bound(e, wiring), e.busy, e.limits)
        for e in endpoints(subjects)
    ]
    for listener in listeners:
        await listener.start(nc)
    return listeners
