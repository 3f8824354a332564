"""Keeps the projector running through PostgreSQL and NATS outages, one life at a time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

import asyncpg
from nats.aio.client import Client

from projections.runner import Projector
from services.adapters import database
from services.settings import Settings

log = logging.getLogger(__name__)


# Pauses between projector lives after a failure: doubled each time, reset by progress.
RESTART_BACKOFF_S = (0.1, 5.0)
# Behind the stream head with no progress for this long: the consumer is repositioned.
# (A message lost in a NATS restart would otherwise come again only after ack_wait.)
STALL_S = 10.0
_WATCH_EVERY_S = 0.5


@dataclass
class ProjectorSupervisor:
    """Keeps the projector running through PostgreSQL and NATS outages.

    Each life is a fresh Projector on a fresh PostgreSQL connection: like a restarted
    process, it resumes from the checkpoints (rows and checkpoints commit together, so a
    life cut short mid-batch leaves nothing half applied). The old connection's end
    frees its partitions; the new life takes its share again.
    """

    nc: Client
    database_url: str
    settings: Settings
    conn: asyncpg.Connection  # the current life's connection (the supervisor closes it)
    projector: Projector
    restarts: int = 0
    _backoff_s: float = field(default=RESTART_BACKOFF_S[0], init=False)

    async def run(self, stop: asyncio.Event) -> None:
        """Run projector lives until ``stop`` is set; never raises."""
        while not stop.is_set():
            outcome = await self._life(stop)
            if stop.is_set():
                break
            self.restarts += 1
            log.warning("projector %s; restarting from the checkpoint", outcome)
            await self._renew(stop)

    async def _life(self, stop: asyncio.Event) -> str:
        """Run one projector until stop, failure or stall; returns why it ended."""
        life_stop = asyncio.Event()
        task = asyncio.create_task(self.projector.run_batches(life_stop))
        seen, since = self.projector.writer.checkpoint, asyncio.get_running_loop().time()
        try:
            while not task.done() and not stop.is_set():
                await asyncio.wait({task}, timeout=_WATCH_EVERY_S)
                now = asyncio.get_running_loop().time()
                if self.projector.writer.checkpoint != seen:
                    seen, since = self.projector.writer.checkpoint, now
                    self._backoff_s = RESTART_BACKOFF_S[0]  # healthy again
                elif now - since > STALL_S and await self._behind():
                    return f"made no progress for {STALL_S:.0f} s while behind"
            if task.done() and not task.cancelled() and task.exception() is not None:
                exc = task.exception()
                log.warning("projector failed", exc_info=exc)
                return f"failed ({type(exc).__name__}: {exc})"
            return "stopped"
        finally:
            life_stop.set()
            if not task.done():
                # Give the batch in flight a chance to commit; a wedged one is cancelled
                # (its transaction rolls back, the next life redoes it).
                done, _ = await asyncio.wait({task}, timeout=STALL_S)
                if not done:
                    task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _behind(self) -> bool:
        try:
            head = (await self.projector.stream_info()).state.last_seq
        except Exception:  # NATS itself is away: nothing to reposition onto
            return False
        return bool(head > self.projector.writer.checkpoint)

    async def _renew(self, stop: asyncio.Event) -> None:
        """Wait (backing off), then a new connection and a new Projector for the next life."""
        if not self.conn.is_closed():
            self.conn.terminate()  # it may be mid-transaction on a dead socket: don't wait for it
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._backoff_s)
            self._backoff_s = min(self._backoff_s * 2, RESTART_BACKOFF_S[1])
            try:
                conn = await database.connect(self.database_url, self.settings.db_timeouts)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("PostgreSQL not reachable yet: %s", exc)
                continue
            self.conn = conn
            self.projector = Projector(
                self.nc,
                conn,
                self.settings.stream_name,
                self.settings.db_schema,
                self.settings.scoring_policy,
                keys=self.projector.writer.keys,
                observer=self.projector.observer,
                partitions=self.settings.projection_partitions,
                worker=self.projector.worker,  # the same consumer, the same owner's name
            )
            return
