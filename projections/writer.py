"""Applies batches of stored events to one schema: rows and checkpoint in one transaction."""

from __future__ import annotations

import gc
import re
from collections.abc import Sequence

import asyncpg

from events.envelope import StoredEvent
from projections.apply import View, apply
from projections.migrations import migrate
from projections.pg_rows import flush, preload, prepare_staging
from projections.rows import Changes
from projections.scoring import ScoringPolicy
from projections.tables import CHECKPOINTS

_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# Rows kept in memory between batches; past this the view starts afresh (reloads lazily).
MAX_CACHED_GOALS = 50_000


class CollectorPause:
    """Keeps Python's cyclic garbage collector off across a run of busy batches.

    A batch keeps thousands of fresh objects alive until it commits (events, rows), so
    the collector would promote them and walk the whole heap several times a second: a
    third of the projector's time, measured. They hold no reference cycles, so reference
    counting frees them anyway. The collector is switched back on every ``every``
    batches (it then runs once, over the little that is alive) and whenever the caller
    goes idle or stops, so cycles made elsewhere in the process are still collected.
    """

    def __init__(self, every: int = 16) -> None:
        self._every = every
        self._batches = 0
        self._held = False

    def busy(self) -> None:
        """A batch is about to be decoded and written."""
        if self._held:
            self._batches += 1
            if self._batches >= self._every:
                self.release()
            return
        if gc.isenabled():  # else someone else holds it (another projector): leave it
            gc.disable()
            self._held, self._batches = True, 0

    def release(self) -> None:
        """Switch the collector back on, if this pause switched it off."""
        if self._held:
            gc.enable()
            self._held = False


class OutOfOrder(RuntimeError):
    """A batch does not continue exactly where the checkpoint ends."""


def check_schema(name: str) -> str:
    """Return ``name`` if it is a safe PostgreSQL schema identifier."""
    if not _SCHEMA.fullmatch(name):
        raise ValueError(f"schema {name!r} must match {_SCHEMA.pattern}")
    return name


class ProjectionWriter:
    """Writes read models into ``schema``; the single writer of those tables."""

    def __init__(
        self, conn: asyncpg.Connection, schema: str, name: str, policy: ScoringPolicy
    ) -> None:
        self._conn = conn
        self.schema = check_schema(schema)
        self.name = name
        self._policy = policy
        self._view = View()
        self.checkpoint = 0

    async def open(self) -> int:
        """Migrate the schema and read the checkpoint; returns the checkpoint."""
        self._view = View()
        await migrate(self._conn, self.schema)
        await self._conn.execute(f'SET search_path TO "{self.schema}"')
        await prepare_staging(self._conn)
        found = await self._conn.fetchval(
            f"SELECT last_sequence FROM {CHECKPOINTS} WHERE projection = $1", self.name
        )
        self.checkpoint = int(found or 0)
        return self.checkpoint

    async def write(
        self,
        batch: Sequence[StoredEvent],
        selection: bool = False,
        delivered: Sequence[int] | None = None,
    ) -> int:
        """Apply the events past the checkpoint, in one transaction; returns how many.

        ``selection``: the batch is a chosen subset of the stream (a replay as of an
        instant, one tenant), so gaps between sequences are expected. ``delivered``: the
        sequences of every message delivered with ``batch``, guards (which hold no event)
        included; the checkpoint moves past all of them.
        """
        fresh = [e for e in batch if e.stream_sequence > self.checkpoint]
        sequences = [e.stream_sequence for e in fresh]
        if delivered is not None:
            sequences = [s for s in delivered if s > self.checkpoint]
        if not sequences:
            return 0
        # The stream has no gaps (deny_delete, no limits) and the projection reads all of
        # it, so anything but checkpoint + 1, + 2, ... is a redelivery out of order.
        expected = range(self.checkpoint + 1, self.checkpoint + 1 + len(sequences))
        if not selection and sequences != list(expected):
            raise OutOfOrder(
                f"got sequences {sequences[0]}..{sequences[-1]} after checkpoint {self.checkpoint}"
            )
        if len(self._view.goals) > MAX_CACHED_GOALS:
            self._view = View()
        try:
            async with self._conn.transaction():
                await preload(self._conn, self._view, (_goal_key(e) for e in fresh))
                for stored in fresh:
                    apply(self._view, stored, self._policy)
                self._view.settle(self._policy)
                await flush(self._conn, self._view.changes)
                last = sequences[-1]
                await self._conn.execute(
                    f"INSERT INTO {CHECKPOINTS} (projection, last_sequence, updated_at) "
                    "VALUES ($1, $2, now()) ON CONFLICT (projection) DO UPDATE "
                    "SET last_sequence = EXCLUDED.last_sequence, updated_at = now()",
                    self.name,
                    last,
                )
        except BaseException:
            self._view = View()  # the cache may hold rows the rollback undid
            raise
        self._view.changes = Changes()
        self.checkpoint = last
        return len(fresh)


def _goal_key(stored: StoredEvent) -> tuple[str, str, str]:
    e = stored.envelope
    return (e.tenant_id, e.aggregate_type.value, e.aggregate_id)
