"""Feeds the read models from a durable JetStream consumer, batch by batch."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import socket
from collections.abc import Callable

import asyncpg
from nats.aio.client import Client
from nats.aio.subscription import Subscription
from nats.js.api import StreamInfo
from nats.js.errors import NotFoundError

from events.personal import KeyRing
from events.subjects import Subjects
from projections.collector import CollectorPause
from projections.consumer import Batch, EventLog, Inbox, push_consumer
from projections.observe import UNOBSERVED, ProjectionObserver
from projections.parking import resume_requests
from projections.partitions import DEFAULT_PARTITIONS, Ownership
from projections.poison import Read, read_events, tenant_of_subject
from projections.resume import resume_tenant
from projections.scoring import ScoringPolicy
from projections.writer import OutOfOrder, ProjectionWriter

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]  # checkpoint, stream head to reach
PROJECTION_NAME = "read_models"
# How often, between batches, the projector looks for tenants an operator asked to resume.
RESUME_POLL_S = 1.0
# How often, between batches, a worker moves partitions toward its fair share.
REBALANCE_S = 1.0
LIVE_ACK_WAIT_S = 60.0
# A worker's consumer outlives it this long (a restart finds it); then the server drops it.
WORKER_GONE_S = 3600.0


def default_worker() -> str:
    """This process's worker id: host and pid, as a consumer name may spell them."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{socket.gethostname()}-{os.getpid()}")


class Projector:
    """One projector worker: a durable consumer of its own over the whole stream, feeding
    the partitions of one schema's read models that it owns (``projections.partitions``).
    Alone, it owns them all; with others, each owns its fair share, moved as they come
    and go."""

    def __init__(
        self,
        nc: Client,
        conn: asyncpg.Connection,
        stream: str,
        schema: str,
        policy: ScoringPolicy,
        batch_size: int = 1000,
        name: str = PROJECTION_NAME,
        keys: KeyRing | None = None,
        observer: ProjectionObserver = UNOBSERVED,
        partitions: int = DEFAULT_PARTITIONS,
        worker: str | None = None,
    ) -> None:
        self._nc = nc
        self.observer = observer
        self._conn = conn
        self._js = nc.jetstream()
        self._stream = stream
        self._batch_size = batch_size
        self.worker = worker or default_worker()
        self.writer = ProjectionWriter(
            conn, schema, name, policy, keys=keys, partitions=partitions, worker=self.worker
        )
        self.ownership = Ownership(conn, schema, partitions)
        self.durable = f"{name}_{schema}_{self.worker}"
        self.applied = 0

    async def _join(self, inbox: Inbox) -> Subscription:
        """Open the schema, become a member, take a first share, and subscribe."""
        await self.writer.open()
        await self.ownership.join()
        await self.ownership.rebalance()
        await self.writer.hold(self.ownership.owned)  # also when it took none
        owned = sorted(self.ownership.owned)
        log.info("worker %s of %s owns partitions %s", self.worker, self.writer.schema, owned)
        return await self._subscribe(inbox)

    async def _rebalance(self) -> tuple[bool, bool]:
        """Move partitions toward the fair share: (whether they moved, whether the
        consumer must go back to a partition taken over)."""
        if not await self.ownership.rebalance():
            return False, False
        owned = sorted(self.ownership.owned)
        log.info("worker %s of %s owns partitions %s", self.worker, self.writer.schema, owned)
        return True, await self.writer.hold(owned)

    async def _decode(self, taken: Batch) -> list[Read]:
        """The events of ``taken`` in the partitions owned now (the tenant is the subject's
        second token: another worker's events are never decoded here)."""
        owned = self.writer.share.checkpoint_of
        return await read_events(
            (
                r
                for r in taken.events
                if not Subjects.is_guard(r.subject)
                and owned(tenant_of_subject(r.subject)) is not None
            ),
            self.writer.keys,
        )

    async def _subscribe(self, inbox: Inbox) -> Subscription:
        """Position the durable consumer just past the writer's position and start it.

        The checkpoints in PostgreSQL are the truth. A consumer left by an earlier run may
        hold unacknowledged messages that it would redeliver only after ack_wait, behind
        newer ones; so it is recreated at position + 1 on every start (and whenever a
        partition taken over is behind). Delivery is pushed (with flow control): per
        message it costs a fraction of a pull fetch.
        """
        inbox.clear()
        deliver_to = self._nc.new_inbox()
        sub = await self._nc.subscribe(deliver_to, cb=inbox.receive)
        config = push_consumer(
            deliver_to,
            self._batch_size,
            LIVE_ACK_WAIT_S,
            self.writer.share.position + 1,
            durable=self.durable,
            inactive_s=WORKER_GONE_S,
        )
        with contextlib.suppress(NotFoundError):
            await self._js.delete_consumer(self._stream, self.durable)
        await self._js.add_consumer(self._stream, config)
        return sub

    async def run_batches(self, stop: asyncio.Event, idle_wait_s: float = 0.5) -> None:
        """Apply batches until ``stop`` is set."""
        inbox = Inbox(self._nc)
        sub = await self._join(inbox)
        writing: asyncio.Task[None] | None = None
        pause = CollectorPause()
        loop = asyncio.get_running_loop()
        polled = balanced = loop.time()
        try:
            while not stop.is_set():
                taken = await inbox.take(self._batch_size, idle_wait_s)
                if taken is not None:
                    pause.busy()
                    # Decoding this batch overlaps the previous batch's round trips to
                    # PostgreSQL; batches are still written one after the other, in order.
                    delivered = [r.sequence for r in taken.events]
                    batch = await self._decode(taken)
                else:
                    pause.release()
                # The previous write is awaited before the next one starts, and also when
                # idle once it is done, so that its failure surfaces at once.
                if writing is not None and (taken is not None or writing.done()):
                    previous, writing = writing, None
                    try:
                        await previous
                    except OutOfOrder as gap:
                        log.warning("%s; repositioning the consumer", gap)
                        await sub.unsubscribe()
                        sub = await self._subscribe(inbox)
                        continue  # this batch followed the gap: it comes again
                if writing is None and loop.time() - balanced > REBALANCE_S:
                    balanced = loop.time()  # nothing is being written meanwhile
                    moved, behind = await self._rebalance()
                    if behind:
                        await sub.unsubscribe()
                        sub = await self._subscribe(inbox)
                        continue  # this batch is past a partition taken over: it comes again
                    if moved and taken is not None:
                        batch = await self._decode(taken)  # decoded for the former share
                if writing is None and loop.time() - polled > RESUME_POLL_S:
                    await self.resume_requested()  # nothing is being written meanwhile
                    polled = loop.time()
                if taken is not None:
                    writing = asyncio.create_task(self._write(inbox, batch, delivered, taken))
            if writing is not None:
                with contextlib.suppress(OutOfOrder):  # redelivered on the next start
                    await writing
        finally:
            pause.release()
            if writing is not None and not writing.done():
                writing.cancel()  # cancelled from outside: the transaction rolls back
                with contextlib.suppress(asyncio.CancelledError, OutOfOrder):
                    await writing
            await sub.unsubscribe()
            # A clean stop hands the partitions on at once; a dead connection has already.
            with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await self.ownership.leave()

    async def resume_requested(self) -> None:
        """Resume the parked tenants an operator asked for (call between batches)."""
        owned = self.writer.share.checkpoint_of
        tenants = [t for t in await resume_requests(self._conn) if owned(t) is not None]
        if not tenants:
            return
        info = await self.stream_info()
        events = [s for s in info.config.subjects or () if not Subjects.is_guard(s)]
        root = events[0].split(".", 1)[0] if events else ""
        event_log = EventLog(self._nc, self._stream, Subjects(root))
        for tenant in tenants:
            culprit = await resume_tenant(self.writer, event_log, tenant)
            if culprit is not None:
                log.warning("tenant %s is still parked: %s", tenant, culprit.error)

    async def _write(
        self, inbox: Inbox, batch: list[Read], delivered: list[int], taken: Batch
    ) -> None:
        """Write one batch (the events among the ``delivered`` sequences), then ack it."""
        with self.observer.batch(taken.events) as watch:
            applied = await self.writer.write(batch, delivered=delivered)
            watch.applied(applied)
        self.applied += applied
        await inbox.ack(taken)  # after the commit

    async def stream_info(self) -> StreamInfo:
        """The stream's current state (its head is ``state.last_seq``)."""
        return await self._js.stream_info(self._stream)

    async def catch_up(self, timeout_s: float = 60.0, progress: Progress | None = None) -> int:
        """Run until the checkpoint reaches the stream head as it was at the call."""
        head = (await self._js.stream_info(self._stream)).state.last_seq
        stop = asyncio.Event()
        task = asyncio.create_task(self.run_batches(stop, idle_wait_s=0.05))
        try:
            async with asyncio.timeout(timeout_s):
                while self.writer.checkpoint < head:
                    if task.done():
                        task.result()
                    if progress is not None:
                        progress(self.writer.checkpoint, head)
                    await asyncio.sleep(0.01)
        finally:
            stop.set()
            await task
        return self.writer.checkpoint


async def rebuild(
    nc: Client,
    conn: asyncpg.Connection,
    stream: str,
    schema: str,
    policy: ScoringPolicy,
    keys: KeyRing | None = None,
    observer: ProjectionObserver = UNOBSERVED,
    progress: Progress | None = None,
    partitions: int = DEFAULT_PARTITIONS,
) -> int:
    """Build the read models from sequence 1 into a fresh schema, then swap it in.

    Readers keep the old schema until one transaction renames the new one into place,
    so they never see a half-built model. The live projector must be paused meanwhile
    and reopened afterwards (``Projector.writer.open``). Returns the new checkpoint.
    """
    fresh, old = f"{schema}__next", f"{schema}__old"
    await conn.execute(f'DROP SCHEMA IF EXISTS "{fresh}" CASCADE')
    builder = Projector(
        nc,
        conn,
        stream,
        fresh,
        policy,
        name=f"rebuild_{PROJECTION_NAME}",
        keys=keys,
        observer=observer,
        partitions=partitions,
    )
    try:
        checkpoint = await builder.catch_up(timeout_s=3600, progress=progress)
    finally:
        await nc.jetstream().delete_consumer(stream, builder.durable)
    async with conn.transaction():
        await conn.execute(f'DROP SCHEMA IF EXISTS "{old}" CASCADE')
        await conn.execute(f'ALTER SCHEMA "{schema}" RENAME TO "{old}"')
        await conn.execute(f'ALTER SCHEMA "{fresh}" RENAME TO "{schema}"')
        await conn.execute(f'DROP SCHEMA "{old}" CASCADE')
    return checkpoint
