"""Tells a poison event (its own fault: it can never be read, applied or written) from an
infrastructure failure, and reads stored messages without letting one of them raise."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import asyncpg
import pydantic_core

from events.envelope import RawEvent, StoredEvent
from events.personal import KeyLookup, KeyRing, kids_in
from events.registry import REGISTRY, EventRegistry
from events.subjects import is_token
from projections.lean_decode import lean_observation
from projections.observation import Observation
from projections.parking import Culprit

# Stands for the tenant of a message whose subject names none that can exist: it can
# never be a tenant token (those start with a letter or a digit).
NO_TENANT: Final = "_no_tenant"

# Raised by an event's own content: decoding and validation (ValueError, LookupError),
# apply and scoring (arithmetic on extreme values, a key result never added), asyncpg
# encoding a value client-side, and PostgreSQL refusing a value (class 22 data
# exceptions: NUL in text, a date or number out of range; class 23: a constraint).
# Connection loss, timeouts and a restarting server are none of these: they propagate,
# and the projector's supervisor retries them.
POISON: Final = (
    ValueError,
    LookupError,
    ArithmeticError,
    TypeError,
    asyncpg.DataError,
    asyncpg.IntegrityConstraintViolationError,
)


def describe(exc: BaseException) -> str:
    """The error as an operator reads it: its type and message, bounded in length."""
    return f"{type(exc).__name__}: {exc}"[:2000]


def tenant_of_subject(subject: str) -> str:
    """The tenant token of an event subject (its 2nd token), or NO_TENANT."""
    tokens = subject.split(".", 2)
    return tokens[1] if len(tokens) > 1 and is_token(tokens[1]) else NO_TENANT


@dataclass(frozen=True)
class Unreadable:
    """A stored message that does not decode to an event this code can apply."""

    stream_sequence: int
    subject: str
    error: str
    event_id: str | None
    event_type: str | None

    @property
    def tenant(self) -> str:
        """The tenant the message is filed under."""
        return tenant_of_subject(self.subject)


Read = StoredEvent | Observation | Unreadable
Readable = StoredEvent | Observation  # what the writer applies


def _header_hint(body: bytes, key: str) -> str | None:
    """A header field of a body that failed to decode, if it is readable at all."""
    try:
        raw = pydantic_core.from_json(body)
    except ValueError:
        return None
    value = raw.get(key) if isinstance(raw, dict) else None
    return value[:200] if isinstance(value, str) else None


def read_event(
    sequence: int,
    subject: str,
    body: bytes,
    hash_: str | None,
    registry: EventRegistry = REGISTRY,
    keys: KeyLookup | None = None,
    lean: bool = False,
) -> Read:
    """The stored message as an event, or as Unreadable saying why not (never raises for
    the message's content). ``lean``: a check-in or report as an Observation (what the
    read models need of it), when it reads as one; anything else is decoded in full."""
    try:
        observed = lean_observation(sequence, subject, body, keys, registry) if lean else None
        if observed is not None:
            return _placed(observed, observed.tenant_id, observed.goal_type, observed.goal_id)
        stored = registry.decode_stored(sequence, subject, body, hash_, keys)
    except Exception as exc:  # decoding is pure: whatever it raises is the body's fault
        return Unreadable(
            sequence,
            subject,
            describe(exc),
            _header_hint(body, "event_id"),
            _header_hint(body, "event_type"),
        )
    e = stored.envelope
    return _placed(stored, e.tenant_id, e.aggregate_type.value, e.aggregate_id)


def _placed(read: Readable, tenant: str, aggregate_type: str, aggregate_id: str) -> Read:
    """``read``, or Unreadable if its envelope names another place than its subject."""
    # The subject is what subscribers filter (and tenants are isolated) by: an envelope
    # that claims another place than its subject is not applied anywhere.
    place = read.subject.split(".", 4)[1:4]
    if place == [tenant, aggregate_type, aggregate_id]:
        return read
    error = f"the envelope names {tenant}.{aggregate_type}.{aggregate_id}, the subject "
    culprit = culprit_of(read, error + ".".join(place))
    return Unreadable(
        read.stream_sequence, read.subject, culprit.error, culprit.event_id, culprit.event_type
    )


def tenant_of(read: Read) -> str:
    """The tenant an event (or an unreadable message) belongs to."""
    if isinstance(read, StoredEvent):
        return read.envelope.tenant_id
    return read.tenant_id if isinstance(read, Observation) else read.tenant


def goal_key_of(read: Readable) -> tuple[str, str, str]:
    """(tenant, aggregate type, aggregate id) of an event: its goal's key, for a goal's."""
    if isinstance(read, Observation):
        return (read.tenant_id, read.goal_type, read.goal_id)
    e = read.envelope
    return (e.tenant_id, e.aggregate_type.value, e.aggregate_id)


def culprit_of(read: Read, error: str | BaseException) -> Culprit:
    """The message as the event a tenant is parked on (or a replay passes over)."""
    text = error if isinstance(error, str) else describe(error)
    if isinstance(read, Unreadable):
        event_id, event_type = read.event_id, read.event_type
    elif isinstance(read, Observation):
        event_id, event_type = str(read.event_id), read.event_type
    else:
        event_id, event_type = str(read.envelope.event_id), read.envelope.event_type
    return Culprit(tenant_of(read), read.stream_sequence, read.subject, event_id, event_type, text)


async def read_events(
    raws: Iterable[RawEvent], keys: KeyRing | None, lean: bool = False
) -> list[Read]:
    """Stored messages as events, their sealed fields opened with ``keys`` (fetched first);
    ``lean``: check-ins and reports as Observations (``read_event``)."""
    batch = list(raws)
    if keys is not None:
        await keys.prefetch(kid for m in batch for kid in kids_in(m.body))
    return [read_event(m.sequence, m.subject, m.body, m.hash, keys=keys, lean=lean) for m in batch]
