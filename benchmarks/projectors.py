"""Catch-up by 1 and by N projector worker processes (``okr project``) sharing the
partitions of one schema, on a stream of many tenants.

Each worker is a process of its own (the GIL), started as an operator would start it.
The rate is timed from the moment all N are members (PostgreSQL's lock table says so)
to the moment every partition's checkpoint reaches the stream head; the events counted
are those past the slowest checkpoint at the start, so start-up is left out alike for 1
and for N.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from itertools import zip_longest

import asyncpg
from nats.aio.client import Client

from benchmarks.common import fill, new_stream, raw_ordered_replay
from benchmarks.workload import quarter
from events.envelope import Envelope
from projections.partitions import DEFAULT_PARTITIONS, MEMBERS, locks_of
from projections.tables import PARTITION_CHECKPOINTS
from services.settings import Settings

TENANTS = 64
POLL_S = 0.05
TIMEOUT_S = 3600.0


def tenants_quarters(events: int, tenants: int = TENANTS) -> Iterator[Envelope]:
    """About ``events`` events of ``tenants`` organisations, interleaved as live traffic."""
    each = [quarter(f"org{i:02d}", events // tenants) for i in range(tenants)]
    for round_ in zip_longest(*each):
        yield from (e for e in round_ if e is not None)


async def _progress(conn: asyncpg.Connection, schema: str) -> tuple[int, int | None]:
    """(live members, slowest partition checkpoint or None before the rows exist)."""
    members = await conn.fetchval(
        f"SELECT count(*) FROM pg_locks l WHERE {locks_of('$1::text')} AND l.objid = $2::oid",
        schema,
        MEMBERS,
    )
    table = f'"{schema}".{PARTITION_CHECKPOINTS}'
    if await conn.fetchval("SELECT to_regclass($1)", table) is None:
        return int(members), None
    slowest = await conn.fetchval(f"SELECT min(last_sequence) FROM {table}")
    return int(members), None if slowest is None else int(slowest)


async def workers_catch_up(
    nats_url: str, database_url: str, stream: str, root: str, head: int, count: int
) -> float:
    """Events/s of ``count`` worker processes catching a fresh schema up to ``head``."""
    schema = f"bench_{root}_{count}w"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OKR_")}
    conn = await asyncpg.connect(database_url)
    with tempfile.TemporaryDirectory() as data_dir:
        env |= {
            "OKR_NATS_URL": nats_url,
            "OKR_DATABASE_URL": database_url,
            "OKR_STREAM": stream,
            "OKR_SUBJECT_ROOT": root,
            "OKR_DB_SCHEMA": schema,
            "OKR_PROJECTION_PARTITIONS": str(DEFAULT_PARTITIONS),
            "OKR_DATA_DIR": data_dir,
        }
        command = [sys.executable, "-m", "services.entrypoints.cli.main", "project", "--worker"]
        children = [
            await asyncio.create_subprocess_exec(*command, f"w{n}", env=env) for n in range(count)
        ]
        try:
            async with asyncio.timeout(TIMEOUT_S):
                while True:
                    members, slowest = await _progress(conn, schema)
                    if members == count and slowest is not None:
                        break
                    await asyncio.sleep(POLL_S)
                began, start = time.perf_counter(), slowest
                assert start is not None
                while slowest is None or slowest < head:
                    await asyncio.sleep(POLL_S)
                    _, slowest = await _progress(conn, schema)
                seconds = time.perf_counter() - began
        finally:
            for child in children:
                with contextlib.suppress(ProcessLookupError):
                    child.terminate()
            await asyncio.gather(*(child.wait() for child in children))
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            await conn.close()
    return (head - start) / seconds


async def partitioned_catch_up(
    nc: Client, nats_url: str, database_url: str, events: int, workers: int = 2
) -> dict[str, float]:
    """One multi-tenant stream: raw ordered replay, 1 worker, ``workers`` workers."""
    subjects, stream = await new_stream(nc)
    try:
        stored = await fill(nc, subjects, tenants_quarters(events), total=events)
        raw = await raw_ordered_replay(nc, subjects, stored)
        one = await workers_catch_up(nats_url, database_url, stream, subjects.root, stored, 1)
        many = await workers_catch_up(
            nats_url, database_url, stream, subjects.root, stored, workers
        )
    finally:
        await nc.jetstream().delete_stream(stream)
        with contextlib.suppress(Exception):
            await nc.jetstream().delete_stream(f"KV_{Settings(stream_name=stream).subject_keys}")
    return {"events": stored, "raw": raw, "one": one, "many": many}
