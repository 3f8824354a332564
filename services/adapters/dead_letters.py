"""The dead-letter stream: every report the service refused, byte for byte, with why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from nats.aio.client import Client
from nats.js.api import ConsumerConfig, DeliverPolicy

from events.subjects import (
    HEADER_BATCH_INDEX,
    HEADER_REASON,
    HEADER_REASON_CODE,
    HEADER_RECEIVED_AT,
    HEADER_RECEIVED_ON,
    Subjects,
    is_token,
)
from services.adapters.stream import StreamSettings, ensure_stream
from services.domain.replies import ErrorBody

# A tenant token that cannot be a real tenant (tokens start with [a-z0-9]), for messages
# that arrived on a subject whose tenant is not a valid token.
UNKNOWN_TENANT = "_unknown"
MAX_REASON_HEADER = 4096
READ_IDLE_S = 0.3


@dataclass(frozen=True)
class DeadLetter:
    """One refused report as kept: its bytes, why, when and where it came in."""

    sequence: int
    tenant_subject: str
    code: str
    reason: ErrorBody
    received_at: str
    received_on: str
    batch_index: int | None
    body: bytes


class DeadLetters:
    """Keeps refused reports on their own stream, so nothing sent is silently dropped."""

    def __init__(self, nc: Client, stream: str, subjects: Subjects) -> None:
        self._nc = nc
        self._js = nc.jetstream()
        self._stream = stream
        self._subjects = subjects

    async def ensure_stream(self, replicas: int = 1) -> None:
        """Create the dead-letter stream unless it exists, else check it as the event stream
        is checked: file storage, nothing expires, no message can be deleted or purged."""
        wanted = StreamSettings(
            name=self._stream, subjects=self._subjects, replicas=replicas, dead_letters=True
        )
        await ensure_stream(self._nc, wanted)

    def subject(self, tenant: str) -> str:
        """Where ``tenant``'s refused reports are kept."""
        return self._subjects.dead_letter(tenant if is_token(tenant) else UNKNOWN_TENANT)

    async def keep(
        self,
        tenant: str,
        body: bytes,
        reason: ErrorBody,
        received_on: str,
        received_at: datetime,
        batch_index: int | None = None,
    ) -> int:
        """Store one refused report and return its sequence on the dead-letter stream."""
        headers = {
            HEADER_REASON_CODE: reason.code.value,
            HEADER_REASON: _reason_header(reason),
            HEADER_RECEIVED_AT: received_at.isoformat(),
            HEADER_RECEIVED_ON: received_on,
        }
        if batch_index is not None:
            headers[HEADER_BATCH_INDEX] = str(batch_index)
        ack = await self._js.publish(
            self.subject(tenant), body, stream=self._stream, headers=headers
        )
        return ack.seq

    async def read(
        self, tenant: str, limit: int = 100, after_sequence: int = 0
    ) -> list[DeadLetter]:
        """Up to ``limit`` of ``tenant``'s dead letters after ``after_sequence``, oldest first."""
        found: list[DeadLetter] = []
        config = ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=after_sequence + 1,
        )
        sub = await self._js.subscribe(
            self.subject(tenant), stream=self._stream, ordered_consumer=True, config=config
        )
        try:
            while len(found) < limit:
                try:
                    msg = await sub.next_msg(timeout=READ_IDLE_S)
                except TimeoutError:
                    break
                headers = msg.headers or {}
                index = headers.get(HEADER_BATCH_INDEX)
                found.append(
                    DeadLetter(
                        sequence=msg.metadata.sequence.stream,
                        tenant_subject=msg.subject,
                        code=headers.get(HEADER_REASON_CODE, ""),
                        reason=ErrorBody.model_validate_json(headers.get(HEADER_REASON, "{}")),
                        received_at=headers.get(HEADER_RECEIVED_AT, ""),
                        received_on=headers.get(HEADER_RECEIVED_ON, ""),
                        batch_index=int(index) if index is not None else None,
                        body=msg.data,
                    )
                )
                if msg.metadata.num_pending == 0:
                    break
        finally:
            await sub.unsubscribe()
        return found


def _reason_header(reason: ErrorBody) -> str:
    # Compact JSON has no newline, so it fits a header; past the size a header should have,
    # the itemised violations give way to the summary (the body still holds the report).
    text = reason.model_dump_json()
    if len(text) > MAX_REASON_HEADER:
        text = reason.model_copy(update={"violations": ()}).model_dump_json()
    return text[:MAX_REASON_HEADER]
