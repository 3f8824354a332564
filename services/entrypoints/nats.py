"""The NATS entry point: request/reply endpoints for commands and integrations' progress."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from faststream.message import StreamMessage
from faststream.nats import NatsBroker, NatsMessage

from events.subjects import COMMAND_QUEUE_GROUP, INGEST_QUEUE_GROUP, Subjects
from services.adapters.clock import now_utc
from services.application.answers import answer
from services.application.handler import CommandHandler
from services.application.ingest.reports import IngestReply
from services.application.ingest.service import Ingestor
from services.domain.errors import ErrorCode
from services.domain.replies import ErrorBody

log = logging.getLogger(__name__)
HANDLER_CONCURRENCY = 64
INGEST_CONCURRENCY = 64


async def raw_body(msg: StreamMessage[Any]) -> bytes:
    """A faststream decoder that hands the handler the bytes as sent.

    faststream's own decoder parses JSON before the handler runs and, when that fails,
    never calls it: a malformed body would get no reply at all.
    """
    return bytes(msg.body)


def register_commands(
    broker: NatsBroker,
    handler: CommandHandler,
    subjects: Subjects,
    clock: Callable[[], datetime] = now_utc,
) -> None:
    """Subscribe one request/reply endpoint for every command subject, load-balanced in a
    queue group; it dispatches by the subject's last token, so an unknown name is answered."""

    async def command(msg: NatsMessage) -> bytes:
        subject = msg.raw_message.subject
        name = Subjects.name_of_command(subject)
        reply = await answer(handler, name, subject, msg.body, clock)
        return reply.model_dump_json().encode()

    broker.subscriber(
        subjects.any_command(),
        queue=COMMAND_QUEUE_GROUP,
        max_workers=HANDLER_CONCURRENCY,
        decoder=raw_body,
        title="commands",
        description="Every command, by the last token of its subject.",
    )(command)


def register_ingest(broker: NatsBroker, ingestor: Ingestor, subjects: Subjects) -> None:
    """Subscribe the ingest endpoint (request/reply; a plain publish is applied too)."""

    async def report_progress(msg: NatsMessage) -> bytes:
        subject = msg.raw_message.subject
        try:
            reply = await ingestor.ingest(Subjects.tenant_of_ingest(subject), msg.body, subject)
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

    broker.subscriber(
        subjects.ingest_wildcard(),
        queue=INGEST_QUEUE_GROUP,
        max_workers=INGEST_CONCURRENCY,
        decoder=raw_body,
        title="report_progress (integrations)",
        description="One ProgressReport or a ProgressBatch; the reply is an IngestReply.",
    )(report_progress)
