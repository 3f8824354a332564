"""Joins the schemas a parallel replay's workers wrote into one, the first of them."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import asyncpg

from projections.audit.consistency import table_keys
from projections.audit.replay import drop_schema
from projections.tables import CHECKPOINTS, PARTITION_CHECKPOINTS
from projections.writer import check_schema

# The projection's checkpoints (each table with its key): the furthest part's is kept.
_CHECKPOINTS = ((CHECKPOINTS, "projection"), (PARTITION_CHECKPOINTS, "projection, partition"))
_INDEXES = "SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2"
_HAS_SEQUENCE = (
    "SELECT 1 FROM information_schema.columns"
    " WHERE table_schema = $1 AND table_name = $2 AND column_name = 'stream_sequence'"
)


async def merge_schemas(
    conn: asyncpg.Connection, into: str, parts: Sequence[str], shared: Collection[int]
) -> None:
    """Make every read-model row of ``parts`` a row of ``into``'s tables, then drop ``parts``.

    Nothing is copied: each part's table moves into ``into`` and becomes a child of the
    table of the same name there (PostgreSQL table inheritance), so a read of ``into``'s
    table reads the parts' rows too, each through its own indexes, and the merge costs
    the same for a thousand rows as for a million (copying them cost seconds per 100k).

    The workers' goals are disjoint. A row a tenant-wide event wrote (a policy change, a
    setting: ``shared`` are those events' sequences) is in every part: only the first
    keeps it. Each checkpoint ends at the furthest of the parts'.
    """
    check_schema(into)
    async with conn.transaction():
        for k, part in enumerate(parts, start=1):
            check_schema(part)
            for table in await table_keys(conn, part):
                await _attach(conn, into, part, table, f"_p{k}", shared)
            for checkpoints, key in _CHECKPOINTS:
                await conn.execute(
                    f'INSERT INTO "{into}".{checkpoints} AS c SELECT * FROM "{part}".{checkpoints}'
                    f" ON CONFLICT ({key}) DO UPDATE SET last_sequence ="
                    " greatest(EXCLUDED.last_sequence, c.last_sequence)"
                )
    for part in parts:
        await drop_schema(conn, part)


async def _attach(
    conn: asyncpg.Connection,
    into: str,
    part: str,
    table: str,
    suffix: str,
    shared: Collection[int],
) -> None:
    if shared and await conn.fetchval(_HAS_SEQUENCE, part, table):
        await conn.execute(
            f'DELETE FROM "{part}".{table} WHERE stream_sequence = ANY($1::bigint[])',
            list(shared),
        )
    # Its indexes move with it, under names that must not clash with those of ``into``.
    for r in await conn.fetch(_INDEXES, part, table):
        index = r["indexname"]
        await conn.execute(f'ALTER INDEX "{part}"."{index}" RENAME TO "{index}{suffix}"')
    child = f"{table}{suffix}"
    await conn.execute(f'ALTER TABLE "{part}".{table} RENAME TO {child}')
    await conn.execute(f'ALTER TABLE "{part}".{child} SET SCHEMA "{into}"')
    await conn.execute(f'ALTER TABLE "{into}".{child} INHERIT "{into}".{table}')
