"""Append events with per-aggregate optimistic concurrency; load an aggregate's events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.errors import TimeoutError as NatsTimeoutError

from events.chain import GENESIS, event_hash
from events.envelope import Envelope, RawEvent, StoredEvent
from events.personal import KeyRing, Sealing, kids_in
from events.registry import REGISTRY, EventRegistry
from events.subjects import (
    DEFAULT_SUBJECTS,
    HEADER_BATCH_COMMIT,
    HEADER_BATCH_ID,
    HEADER_BATCH_SEQUENCE,
    HEADER_EVENT_TYPE,
    HEADER_EXPECTED_SUBJECT_SEQ,
    HEADER_EXPECTED_SUBJECT_SEQ_SUBJECT,
    HEADER_HASH,
    HEADER_MSG_ID,
    HEADER_SCHEMA_VERSION,
    HEADER_TRACEPARENT,
    Subjects,
)
from services.adapters.telemetry.tracing import current_traceparent

WRONG_LAST_SEQUENCE = 10071
Outgoing = tuple[str, bytes, dict[str, str]]
DIRECT_GET_BATCH = 1000


class ConcurrencyConflict(Exception):
    """Another writer appended to the aggregate since it was loaded."""


class StoreUnavailable(Exception):
    """JetStream did not answer in time, or answered with an error."""


class AppendFailed(StoreUnavailable):
    """JetStream refused or did not acknowledge the append."""


@dataclass(frozen=True)
class Guard:
    """A message appended in the same atomic batch as some events, expecting its subject's
    last sequence to be unchanged: the batch is refused if anyone else moved it."""

    subject: str
    expected_last_sequence: int
    body: bytes


@dataclass(frozen=True)
class AppendResult:
    """Where the appended events landed, as stored (chained, with their sequences)."""

    last_sequence: int
    duplicate: bool
    stored: tuple[StoredEvent, ...] = ()


def _headers(envelope: Envelope, traceparent: str | None) -> dict[str, str]:
    headers = {
        HEADER_MSG_ID: str(envelope.event_id),
        HEADER_EVENT_TYPE: envelope.event_type,
        HEADER_SCHEMA_VERSION: str(envelope.schema_version),
    }
    if traceparent is not None:
        # The trace of the request that stored it: the projector's span joins that trace.
        headers[HEADER_TRACEPARENT] = traceparent
    return headers


class EventStore:
    """The goal event log on one JetStream stream."""

    def __init__(
        self,
        nc: Client,
        stream: str,
        subjects: Subjects = DEFAULT_SUBJECTS,
        registry: EventRegistry = REGISTRY,
        timeout_s: float = 5.0,
        keys: KeyRing | None = None,
    ) -> None:
        self._nc = nc
        self._stream = stream
        self.subjects = subjects
        self._registry = registry
        self._timeout = timeout_s
        self._keys = keys  # opens sealed fields of loaded events; None: placeholders

    async def append(
        self,
        events: Sequence[Envelope],
        expected_last_sequence: int,
        prev_hash: str = GENESIS,
        guard: Guard | None = None,
        sealings: Mapping[UUID, Sealing] | None = None,
    ) -> AppendResult:
        """Append one aggregate's events atomically, if its last stored event is still
        at ``expected_last_sequence`` (0: the aggregate has no events yet), and, with a
        ``guard``, if the guard's subject is still at its expected sequence too.

        Each event is chained: its ``prev_hash`` is the previous event's Okr-Hash
        (``prev_hash`` for the first), and its own Okr-Hash covers its exact stored body
        (personal fields sealed as ``sealings`` says); the envelopes returned are as given.
        """
        if not events:
            raise ValueError("nothing to append")
        first = events[0]
        key = (first.tenant_id, first.aggregate_type.value, first.aggregate_id)
        if any((e.tenant_id, e.aggregate_type.value, e.aggregate_id) != key for e in events):
            raise ValueError("one append holds the events of one aggregate")
        expected = {
            HEADER_EXPECTED_SUBJECT_SEQ: str(expected_last_sequence),
            HEADER_EXPECTED_SUBJECT_SEQ_SUBJECT: self.subjects.aggregate(*key),
        }
        chained: list[tuple[Envelope, str]] = []
        messages: list[Outgoing] = []
        traceparent = current_traceparent()
        for event in events:
            event = event.model_copy(update={"prev_hash": prev_hash})
            body = self._registry.encode(event, (sealings or {}).get(event.event_id))
            prev_hash = event_hash(prev_hash, body)
            chained.append((event, prev_hash))
            subject = self.subjects.event(*key, event.event_type)
            headers = {**_headers(event, traceparent), HEADER_HASH: prev_hash}
            messages.append((subject, body, headers))
        messages[0][2].update(expected)
        if guard is not None:
            messages.append(
                (
                    guard.subject,
                    guard.body,
                    {
                        HEADER_EXPECTED_SUBJECT_SEQ: str(guard.expected_last_sequence),
                        HEADER_EXPECTED_SUBJECT_SEQ_SUBJECT: guard.subject,
                    },
                )
            )
        if len(messages) == 1:
            subject, data, headers = messages[0]
            ack = self._parse_ack(await self._request(subject, data, headers))
        else:
            ack = await self._append_batch(messages)
        if ack.duplicate:
            return ack
        # An atomic batch is stored contiguously, ending at the acknowledged sequence
        # (the guard's, when there is one: it comes last).
        first_sequence = ack.last_sequence - len(messages) + 1
        stored = tuple(
            StoredEvent.model_construct(
                stream_sequence=first_sequence + i, subject=messages[i][0], envelope=e, hash=h
            )
            for i, (e, h) in enumerate(chained)
        )
        return AppendResult(ack.last_sequence, duplicate=False, stored=stored)

    async def _append_batch(self, messages: list[Outgoing]) -> AppendResult:
        # JetStream atomic batch: every message but the last is a plain publish; the
        # commit is acknowledged for the whole batch, or the whole batch is dropped.
        batch_id = uuid4().hex
        for index, (subject, data, headers) in enumerate(messages, start=1):
            headers[HEADER_BATCH_ID] = batch_id
            headers[HEADER_BATCH_SEQUENCE] = str(index)
            if index < len(messages):
                try:
                    await self._nc.publish(subject, data, headers=headers)
                except NatsError as exc:  # an incomplete batch is never committed
                    raise AppendFailed(f"batch publish to {subject}: {exc!r}") from exc
        subject, data, headers = messages[-1]
        headers[HEADER_BATCH_COMMIT] = "1"
        return self._parse_ack(await self._request(subject, data, headers))

    async def _request(self, subject: str, data: bytes, headers: dict[str, str]) -> Msg:
        try:
            return await self._nc.request(subject, data, timeout=self._timeout, headers=headers)
        except NatsTimeoutError as exc:
            raise AppendFailed(f"no acknowledgement for {subject} within {self._timeout}s") from exc
        except NatsError as exc:
            # No responders (JetStream still recovering after a restart, or no stream
            # leader elected yet), or the connection is closed or reconnecting with a full
            # buffer: the append did not happen now; a resend may succeed.
            raise AppendFailed(f"JetStream unreachable for {subject}: {exc!r}") from exc

    @staticmethod
    def _parse_ack(msg: Msg) -> AppendResult:
        ack: dict[str, Any] = json.loads(msg.data) if msg.data else {}
        error = ack.get("error")
        if error:
            if error.get("err_code") == WRONG_LAST_SEQUENCE:
                raise ConcurrencyConflict(error.get("description", "wrong last sequence"))
            raise AppendFailed(f"JetStream refused the append: {error}")
        if "seq" not in ack:
            raise AppendFailed(f"unexpected acknowledgement: {msg.data!r} {msg.headers}")
        return AppendResult(last_sequence=int(ack["seq"]), duplicate=bool(ack.get("duplicate")))

    async def last_sequence_of(self, subject: str) -> int:
        """The stream sequence of the last message on ``subject`` (0 when there is none)."""
        batch, _ = await self._direct_get_batch(subject, 1, last=True)
        return batch[-1].sequence if batch else 0

    async def load(
        self, tenant: str, aggregate_type: str, aggregate_id: str, after_sequence: int = 0
    ) -> list[StoredEvent]:
        """Every event of one aggregate stored after ``after_sequence``, in order."""
        subject_filter = self.subjects.aggregate(tenant, aggregate_type, aggregate_id)
        return await self.load_matching(subject_filter, after_sequence)

    async def load_tenant(self, tenant: str) -> list[StoredEvent]:
        """Every event of one tenant, in stream order (for small tenants, demos, tests)."""
        return await self.load_matching(self.subjects.tenant(tenant))

    async def load_matching(
        self, subject_filter: str, after_sequence: int = 0
    ) -> list[StoredEvent]:
        """Every event whose subject matches ``subject_filter``, after ``after_sequence``."""
        events: list[StoredEvent] = []
        async for batch in self.raw_batches(subject_filter, after_sequence):
            if self._keys is not None:
                await self._keys.prefetch(kid for m in batch for kid in kids_in(m.body))
            events.extend(
                self._registry.decode_stored(m.sequence, m.subject, m.body, m.hash, self._keys)
                for m in batch
            )
        return events

    async def raw_batches(
        self, subject_filter: str, after_sequence: int = 0
    ) -> AsyncIterator[list[RawEvent]]:
        """Stored messages matching ``subject_filter`` as they are, in stream order."""
        start = after_sequence + 1
        while True:
            batch, more = await self._direct_get_batch(subject_filter, start)
            if batch:
                yield batch
            if not more or not batch:
                return
            start = batch[-1].sequence + 1

    async def _direct_get_batch(
        self, subject_filter: str, start: int, last: bool = False
    ) -> tuple[list[RawEvent], bool]:
        # One request, many replies: the server streams up to DIRECT_GET_BATCH messages
        # and ends with a 204 EOB status carrying how many are still pending.
        inbox = self._nc.new_inbox()
        replies: asyncio.Queue[Msg] = asyncio.Queue()

        async def collect(msg: Msg) -> None:
            replies.put_nowait(msg)

        try:
            sub = await self._nc.subscribe(inbox, cb=collect)
        except NatsError as exc:  # the connection is closed or its buffer full
            raise StoreUnavailable(f"direct get of {subject_filter}: {exc!r}") from exc
        try:
            request: dict[str, object] = {"last_by_subj": subject_filter}
            if not last:
                request = {"seq": start, "next_by_subj": subject_filter, "batch": DIRECT_GET_BATCH}
            try:
                await self._nc.publish(
                    f"$JS.API.DIRECT.GET.{self._stream}", json.dumps(request).encode(), reply=inbox
                )
            except NatsError as exc:
                raise StoreUnavailable(f"direct get of {subject_filter}: {exc!r}") from exc
            events: list[RawEvent] = []
            while True:
                try:
                    msg = await asyncio.wait_for(replies.get(), self._timeout)
                except TimeoutError as exc:
                    raise StoreUnavailable(f"direct get of {subject_filter} timed out") from exc
                headers = msg.headers or {}
                status = headers.get("Status")
                if status == "404":
                    return events, False
                if status == "204":
                    return events, int(headers.get("Nats-Num-Pending", "0")) > 0
                if status:
                    raise StoreUnavailable(f"direct get failed: {status} {headers}")
                sequence, subject = int(headers["Nats-Sequence"]), headers["Nats-Subject"]
                events.append(RawEvent(sequence, subject, msg.data, headers.get(HEADER_HASH)))
                if last:
                    return events, False  # a single message answers, with no end-of-batch
        finally:
            await sub.unsubscribe()
