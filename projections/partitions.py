"""Partitions of a schema's read models: which tenant is in which, and who owns them.

A tenant's events all fall in one partition (a stable hash of its id), so its cascade,
roll-ups and policies are written by one worker. Ownership is a PostgreSQL session
advisory lock per (schema, partition), taken on the connection that writes the rows:
a worker that dies or loses that connection loses its locks and its open transaction
together, so no write of a former owner can commit after another worker took over.
Each live worker also holds a shared lock on the schema's members key; the holders of
that key are the live workers, among whom the partitions are shared out evenly.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Collection
from dataclasses import dataclass

import asyncpg

DEFAULT_PARTITIONS = 16
# The second half of the members key; partitions are 0 .. count - 1, far below it.
MEMBERS = 2**31 - 1
# The first half of every lock key of a schema: a hash of this prefix and the schema name
# (SQL, so that a query on a pooled connection can find the locks of its search_path).
_LOCK_CLASS = "hashtext('okr-partitions:' || {schema})"
_LOCKS_OF = (
    "l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    f"AND l.classid = (({_LOCK_CLASS})::bigint & 4294967295)::oid"
)


class PartitionMismatch(RuntimeError):
    """The schema was partitioned into another number of partitions than configured."""


def partition_of(tenant: str, count: int) -> int:
    """The partition of ``tenant`` among ``count``: stable across processes and versions
    (crc32, not Python's salted ``hash``)."""
    return zlib.crc32(tenant.encode("utf-8")) % count


def fair_share(count: int, members: int) -> int:
    """The most partitions one of ``members`` live workers should own."""
    return math.ceil(count / max(1, members))


@dataclass(frozen=True)
class Plan:
    """What one rebalance tick does: partitions to give back, free ones to try to take."""

    release: frozenset[int]
    take: tuple[int, ...]


def plan(owned: Collection[int], others: Collection[int], count: int, members: int) -> Plan:
    """Release what is above the fair share (the highest first), or try to take free
    partitions (the lowest first) up to it; never both, so a worker never churns."""
    share = fair_share(count, members)
    if len(owned) > share:
        return Plan(frozenset(sorted(owned)[share:]), ())
    free = [p for p in range(count) if p not in owned and p not in others]
    return Plan(frozenset(), tuple(free[: share - len(owned)]))


class Share:
    """The partitions a writer owns, each with its checkpoint, and how far it has read.

    The position is the last stream sequence it was delivered and took (the consumer's
    place); a partition's checkpoint is at most the position once a batch has passed.
    """

    def __init__(self, count: int) -> None:
        self.count = count
        self.checkpoints: dict[int, int] = {}
        self.position = 0
        self._partition: dict[str, int] = {}  # tenant -> partition, memoised

    def partition(self, tenant: str) -> int:
        """The partition of ``tenant``."""
        found = self._partition.get(tenant)
        if found is None:
            found = self._partition[tenant] = partition_of(tenant, self.count)
        return found

    def checkpoint_of(self, tenant: str) -> int | None:
        """The checkpoint of ``tenant``'s partition, or None if it is not owned."""
        return self.checkpoints.get(self.partition(tenant))

    def wants(self, tenant: str, sequence: int) -> bool:
        """Whether an event of ``tenant`` at ``sequence`` is to be applied here."""
        done = self.checkpoints.get(self.partition(tenant))
        return done is not None and sequence > done

    @property
    def slowest(self) -> int:
        """The lowest checkpoint owned (the position when none is)."""
        return min(self.checkpoints.values(), default=self.position)

    def advance(self, last: int) -> None:
        """A batch up to ``last`` committed: every owned partition is at least there."""
        self.position = max(self.position, last)
        for p, done in self.checkpoints.items():
            self.checkpoints[p] = max(done, last)


def locks_of(schema_sql: str) -> str:
    """A condition on ``pg_locks l``: the partition locks of the schema named by the SQL
    expression ``schema_sql`` (e.g. ``current_schema()``)."""
    return _LOCKS_OF.format(schema=schema_sql)


class Ownership:
    """This worker's partitions of one schema, as advisory locks on ``conn``.

    Call between batches only: the locks live on the connection that writes the rows.
    """

    def __init__(self, conn: asyncpg.Connection, schema: str, count: int) -> None:
        self._conn = conn
        self._schema = schema
        self.count = count
        self.owned: frozenset[int] = frozenset()
        self._class = _LOCK_CLASS.format(schema="$1::text")

    async def join(self) -> None:
        """Become a live member (waits while a sole writer, e.g. a resume, holds the key)."""
        await self._conn.execute(
            f"SELECT pg_advisory_lock_shared({self._class}, $2)", self._schema, MEMBERS
        )

    async def rebalance(self) -> bool:
        """One tick: give back or take partitions toward the fair share; True if changed."""
        rows = await self._conn.fetch(
            "SELECT l.objid::bigint AS key, l.pid = pg_backend_pid() AS mine FROM pg_locks l "
            f"WHERE {locks_of('$1::text')}",
            self._schema,
        )
        members = sum(1 for r in rows if r["key"] == MEMBERS)
        others = {int(r["key"]) for r in rows if r["key"] != MEMBERS and not r["mine"]}
        decided = plan(self.owned, others, self.count, members)
        if decided.release:
            await self._conn.execute(
                f"SELECT pg_advisory_unlock({self._class}, p) FROM unnest($2::int[]) p",
                self._schema,
                sorted(decided.release),
            )
        took: set[int] = set()
        if decided.take:
            found = await self._conn.fetch(
                f"SELECT p FROM unnest($2::int[]) p WHERE pg_try_advisory_lock({self._class}, p)",
                self._schema,
                list(decided.take),
            )
            took = {int(r["p"]) for r in found}
        before = self.owned
        self.owned = frozenset((before - decided.release) | took)
        return self.owned != before

    async def leave(self) -> None:
        """Give back every partition and the membership (a clean stop)."""
        await self._conn.execute(
            f"SELECT pg_advisory_unlock({self._class}, p) FROM unnest($2::int[]) p",
            self._schema,
            sorted(self.owned),
        )
        self.owned = frozenset()
        await self._conn.execute(
            f"SELECT pg_advisory_unlock_shared({self._class}, $2)", self._schema, MEMBERS
        )


async def claim_sole_writer(conn: asyncpg.Connection, schema: str) -> bool:
    """Take the members key exclusively, if no worker is live: this session is then the
    schema's single writer (and workers that start meanwhile wait for it)."""
    lock = _LOCK_CLASS.format(schema="$1::text")
    return bool(await conn.fetchval(f"SELECT pg_try_advisory_lock({lock}, $2)", schema, MEMBERS))


async def release_sole_writer(conn: asyncpg.Connection, schema: str) -> None:
    """Give back the key taken by ``claim_sole_writer``."""
    lock = _LOCK_CLASS.format(schema="$1::text")
    await conn.execute(f"SELECT pg_advisory_unlock({lock}, $2)", schema, MEMBERS)
