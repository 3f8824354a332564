"""The read side's one flow-controlled inbox: the projector's live delivery and every scan."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from dataclasses import dataclass

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from events.envelope import RawEvent
from events.subjects import DEFAULT_SUBJECTS, HEADER_HASH, HEADER_TRACEPARENT, Subjects

BUFFERED_BATCHES = 4  # how far delivery may run ahead of the reader, in batches
SCAN_ACK_WAIT_S = 300.0  # a scan's batch is acknowledged when taken: this only covers a stall
_ACK_V1_TOKENS = 9


class ScanStalled(Exception):
    """The server stopped delivering a scan before it said nothing was pending.

    A stored message the server cannot load (a damaged block file) is skipped by delivery
    yet still counted as pending: that is one way a scan stalls.
    """


def delivery_position(msg: Msg) -> tuple[int, int]:
    """(stream sequence, messages still pending) of a delivered JetStream message.

    Read straight from the reply subject, ``$JS.ACK.<stream>.<consumer>.<delivered>.
    <stream seq>.<consumer seq>.<time>.<pending>``: ``msg.metadata`` parses every field
    into dataclasses (and a datetime), a fifth of a replay's time per message, measured.
    """
    reply = msg.reply
    tokens = reply.split(".") if reply else []
    if len(tokens) == _ACK_V1_TOKENS and tokens[0] == "$JS" and tokens[1] == "ACK":
        return int(tokens[5]), int(tokens[8])
    metadata = msg.metadata  # the longer form (domain, account hash): parse it all
    return metadata.sequence.stream, metadata.num_pending


def push_consumer(
    deliver_to: str,
    batch_size: int,
    ack_wait_s: float,
    start_sequence: int = 1,
    filter_subject: str | None = None,
    durable: str | None = None,
    inactive_s: float | None = None,
) -> ConsumerConfig:
    """A push consumer acknowledged batch by batch, whose max_ack_pending bounds memory.

    Not an ordered consumer: nats-py answers its flow control on arrival, not when the
    reader gets there, so it does not hold the server back (a scan of 1 M events then
    overflowed the client and dropped messages). Here the server sends more only as
    batches are acknowledged, however slow the reader. A durable consumer is dropped
    by the server after ``inactive_s`` without a subscriber (never when None).
    """
    return ConsumerConfig(
        durable_name=durable,
        deliver_subject=deliver_to,
        filter_subject=filter_subject,
        deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
        opt_start_seq=start_sequence,
        ack_policy=AckPolicy.ALL,
        max_ack_pending=BUFFERED_BATCHES * batch_size,
        ack_wait=ack_wait_s,
        flow_control=True,
        idle_heartbeat=5,
        inactive_threshold=inactive_s if durable else SCAN_ACK_WAIT_S,
    )


@dataclass(frozen=True)
class Batch:
    """Events taken from the inbox, and where to acknowledge them all (AckPolicy.ALL)."""

    events: list[RawEvent]
    ack_to: str


class Inbox:
    """What a push consumer delivered and its reader has not taken yet.

    Messages become RawEvents as they arrive, kept in a plain list (a per-message
    asyncio.Queue put and get cost more than the rest of a scan).
    """

    def __init__(self, nc: Client) -> None:
        self._nc = nc
        self.clear()

    def clear(self) -> None:
        """Forget what arrived (the consumer is being repositioned)."""
        self._events: list[RawEvent] = []
        self._replies: list[str] = []  # each event's ack subject
        self._arrived = asyncio.Event()
        self._last_sequence = 0
        self._last_pending = -1

    @property
    def finished(self) -> bool:
        """Everything was taken, and the last message said nothing more is pending."""
        return not self._events and self._last_pending == 0

    async def receive(self, msg: Msg) -> None:
        """Subscription callback."""
        if msg.headers and msg.headers.get("Status") == "100":
            if msg.reply:  # flow control: answered at once, max_ack_pending is the bound
                await msg.respond(b"")
            return  # an idle heartbeat
        sequence, pending = delivery_position(msg)
        if sequence <= self._last_sequence:
            return  # redelivered after ack_wait: already here
        self._last_sequence, self._last_pending = sequence, pending
        headers = msg.headers or {}
        self._events.append(
            RawEvent(
                sequence,
                msg.subject,
                msg.data,
                headers.get(HEADER_HASH),
                headers.get(HEADER_TRACEPARENT),
            )
        )
        self._replies.append(msg.reply)
        self._arrived.set()

    async def take(self, batch_size: int, timeout_s: float) -> Batch | None:
        """Up to ``batch_size`` events, waiting at most ``timeout_s`` for the first."""
        if not self._events:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), timeout_s)
            except TimeoutError:
                return None
        events = self._events[:batch_size]
        batch = Batch(events, self._replies[len(events) - 1])
        del self._events[:batch_size]
        del self._replies[:batch_size]
        return batch

    async def ack(self, batch: Batch) -> None:
        """Acknowledge ``batch`` and everything delivered before it."""
        await self._nc.publish(batch.ack_to, b"+ACK")


class EventLog:
    """The read side's view of the goal event log: long reads, in stream order."""

    def __init__(
        self,
        nc: Client,
        stream: str,
        subjects: Subjects = DEFAULT_SUBJECTS,
        timeout_s: float = 5.0,
    ) -> None:
        self._nc = nc
        self._stream = stream
        self.subjects = subjects
        self._timeout = timeout_s

    @property
    def stream(self) -> str:
        """The stream this log reads."""
        return self._stream

    async def tenants(self) -> list[str]:
        """Every tenant with an event in the stream, from its per-subject counts."""
        info = await self._nc.jetstream().stream_info(self._stream, self.subjects.all_events())
        return sorted({self.subjects.tenant_of_event(s) for s in info.state.subjects or {}})

    async def count(self, subject_filter: str) -> int:
        """How many stored messages match ``subject_filter`` (a consumer's pending count:
        no message is read)."""
        js = self._nc.jetstream()
        config = ConsumerConfig(
            filter_subject=subject_filter,
            ack_policy=AckPolicy.NONE,
            inactive_threshold=SCAN_ACK_WAIT_S,
        )
        info = await js.add_consumer(self._stream, config)
        with contextlib.suppress(NatsError):
            await js.delete_consumer(self._stream, info.name)
        return int(info.num_pending or 0)

    async def unloadable(self, limit: int = 100) -> list[int]:
        """Sequences between the stream's first and last that the server cannot load.

        Delivery skips them silently, so they are found as gaps in a scan of every subject
        (deny_delete leaves no other gaps), each confirmed by a direct get.
        """
        state = (await self._nc.jetstream().stream_info(self._stream)).state
        gaps: list[int] = []
        expected = state.first_seq
        with contextlib.suppress(ScanStalled):
            async for batch in self.scan(None):
                for event in batch:
                    gaps.extend(range(expected, event.sequence)[: limit - len(gaps)])
                    expected = event.sequence + 1
        gaps.extend(range(expected, state.last_seq + 1)[: limit - len(gaps)])
        js = self._nc.jetstream()
        missing = []
        for sequence in gaps:
            try:
                await js.get_msg(self._stream, sequence, direct=True)
            except NotFoundError:
                missing.append(sequence)
        return missing

    async def scan(
        self, subject_filter: str | None, batch_size: int = 1000, after_sequence: int = 0
    ) -> AsyncGenerator[list[RawEvent]]:
        """Every stored message matching ``subject_filter`` after ``after_sequence``.

        For long reads (replays, verification, resuming a tenant): a push consumer
        delivers far faster than direct gets. It ends when the server says nothing is
        pending. Each batch is acknowledged when taken, so the server sends the next
        ones while it is processed.
        """
        inbox = Inbox(self._nc)
        deliver_to = self._nc.new_inbox()
        sub = await self._nc.subscribe(deliver_to, cb=inbox.receive)
        js = self._nc.jetstream()
        consumer: str | None = None
        config = push_consumer(
            deliver_to, batch_size, SCAN_ACK_WAIT_S, after_sequence + 1, subject_filter
        )
        try:
            info = await js.add_consumer(self._stream, config)
            consumer = info.name
            # Its consumer sequence counts what it delivered (however late the start).
            if info.num_pending == 0 and (
                info.delivered is None or not info.delivered.consumer_seq
            ):
                return  # nothing matches the filter
            while True:
                batch = await inbox.take(batch_size, self._timeout)
                if batch is None:
                    raise ScanStalled(f"scan of {subject_filter} stalled")
                await inbox.ack(batch)
                yield batch.events
                if inbox.finished:
                    return
        finally:
            await sub.unsubscribe()
            if consumer is not None:
                with contextlib.suppress(NatsError):
                    await js.delete_consumer(self._stream, consumer)
