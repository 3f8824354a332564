"""The envelope every stored event travels in, and the base of all payloads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field, SerializeAsAny

from events.values import AggregateType, Frozen, Token


class EventPayload(Frozen):
    """Base of every event payload; subclasses name their wire type and schema version."""

    event_type: ClassVar[str]
    schema_version: ClassVar[int]
    aggregate_types: ClassVar[tuple[AggregateType, ...]]


class EnvelopeHeader(Frozen):
    """Everything about an event except its payload."""

    event_id: UUID = Field(description="unique id; also the Nats-Msg-Id used for dedupe")
    event_type: str = Field(description="wire name, e.g. 'check_in.recorded'")
    schema_version: int = Field(ge=1, description="version of the payload schema")
    tenant_id: Token
    aggregate_type: AggregateType
    aggregate_id: Token
    aggregate_version: int = Field(ge=1, description="1 for the aggregate's first event")
    occurred_at: AwareDatetime = Field(description="when it happened in the business")
    recorded_at: AwareDatetime = Field(description="when this service stored it")
    actor: str = Field(min_length=1, max_length=200, description="who caused it")
    correlation_id: UUID = Field(description="the conversation it belongs to")
    causation_id: UUID | None = Field(description="the command or event that caused it")
    prev_hash: str | None = Field(
        default=None,
        description="Okr-Hash of the aggregate's previous event ('' for its first): "
        "the link that makes the aggregate's history a hash chain",
    )


class Envelope(EnvelopeHeader):
    """A stored event: its header plus the payload at the current schema version."""

    payload: SerializeAsAny[EventPayload]

    # Decoding yields a subclass typed by the payload (one validation pass); an envelope
    # is still equal to any other envelope with the same fields.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Envelope):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash(self.event_id)


@dataclass(frozen=True)
class RawEvent:
    """A stored message as JetStream keeps it: exact body, its hash and trace headers."""

    sequence: int
    subject: str
    body: bytes
    hash: str | None
    traceparent: str | None = None


class StoredEvent(Frozen):
    """An envelope together with where the stream keeps it."""

    stream_sequence: int = Field(ge=1)
    subject: str
    envelope: Envelope
    hash: str | None = Field(default=None, description="the Okr-Hash header it was stored with")
