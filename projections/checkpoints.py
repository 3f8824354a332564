"""The partition checkpoints of a projection: one row per partition, written in the same
transaction as the partition's rows."""

from __future__ import annotations

from collections.abc import Collection

import asyncpg

from projections.partitions import PartitionMismatch
from projections.tables import CHECKPOINTS, PARTITION_CHECKPOINTS


async def ensure(conn: asyncpg.Connection, projection: str, count: int) -> None:
    """Create the projection's ``count`` partition rows at its first start, each from the
    checkpoint of the unpartitioned projection if it had one; refuse another ``count``."""
    stored = await conn.fetchval(
        f"SELECT count(*) FROM {PARTITION_CHECKPOINTS} WHERE projection = $1", projection
    )
    if not stored:
        # Concurrent first starts insert the same rows; the count read after tells.
        await conn.execute(
            f"INSERT INTO {PARTITION_CHECKPOINTS} (projection, partition, last_sequence) "
            "SELECT $1, p, coalesce((SELECT last_sequence FROM "
            f"{CHECKPOINTS} WHERE projection = $1), 0) FROM generate_series(0, $2 - 1) p "
            "ON CONFLICT DO NOTHING",
            projection,
            count,
        )
        stored = await conn.fetchval(
            f"SELECT count(*) FROM {PARTITION_CHECKPOINTS} WHERE projection = $1", projection
        )
    if stored != count:
        raise PartitionMismatch(
            f"the read models of {projection!r} are split into {stored} partitions, but "
            f"OKR_PROJECTION_PARTITIONS is {count}: set it back to {stored}, or rebuild the "
            "read models (okr rebuild) to change it"
        )


async def read(
    conn: asyncpg.Connection, projection: str, partitions: Collection[int] | None = None
) -> dict[int, int]:
    """The checkpoints of ``partitions`` (all when None), by partition."""
    rows = await conn.fetch(
        f"SELECT partition, last_sequence FROM {PARTITION_CHECKPOINTS} WHERE projection = $1 "
        "AND ($2::int[] IS NULL OR partition = ANY($2::int[]))",
        projection,
        None if partitions is None else sorted(partitions),
    )
    return {int(r["partition"]): int(r["last_sequence"]) for r in rows}


async def claim(
    conn: asyncpg.Connection, projection: str, partitions: Collection[int], owner: str | None
) -> dict[int, int]:
    """Name ``owner`` on ``partitions`` (just locked) and read their checkpoints afresh."""
    rows = await conn.fetch(
        f"UPDATE {PARTITION_CHECKPOINTS} SET owner = $3 WHERE projection = $1 "
        "AND partition = ANY($2::int[]) RETURNING partition, last_sequence",
        projection,
        sorted(partitions),
        owner,
    )
    return {int(r["partition"]): int(r["last_sequence"]) for r in rows}


async def save(
    conn: asyncpg.Connection,
    projection: str,
    partitions: Collection[int],
    last: int,
    owner: str | None,
) -> None:
    """Move ``partitions`` on to ``last`` (inside the caller's transaction); never back."""
    await conn.execute(
        f"UPDATE {PARTITION_CHECKPOINTS} SET last_sequence = $3, owner = $4, updated_at = now() "
        "WHERE projection = $1 AND partition = ANY($2::int[]) AND last_sequence < $3",
        projection,
        sorted(partitions),
        last,
        owner,
    )
