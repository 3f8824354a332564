"""Times a point-in-time replay of one tenant's quarter and its peak memory.

    python -m benchmarks.replay [--events 1000000] [--workers N]   fill a stream, replay it
    python -m benchmarks.replay --stream S --root R --json          replay an existing stream

The second form is what ``benchmarks.run`` starts, once per repeat, in a process of its
own, so that the peak RSS it reports is the replay's alone: that process's, plus each
worker process's own peak when the replay is shared among workers (``--workers``,
by default the service's ``OKR_REPLAY_WORKERS``; 1 replays in the one process).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import nats
from nats.aio.client import Client

from benchmarks.common import Row, fill, new_stream, raw_ordered_replay
from benchmarks.workload import quarter
from events.scoring_policy import ScoringPolicy
from events.subjects import Subjects
from projections.audit.axes import EVERYTHING
from projections.audit.parallel import Workers, replay_parallel
from projections.audit.replay import replay_tenant
from projections.audit.replay_worker import peak_rss_mb
from projections.consumer import EventLog
from services.adapters.servers import resolve_servers
from services.settings import Settings

TENANT = "bench"


def default_workers() -> int:
    """The service's worker count for a large replay (OKR_REPLAY_WORKERS or its default)."""
    return Settings.from_env().replay_workers


async def replay_once(
    nats_url: str, database_url: str, stream: str, root: str, workers: int
) -> Row:
    """Replay the tenant as of the end of time into a fresh schema, then drop it.

    ``peak_mb`` sums this process's peak and each worker's (a bound on their peak sum).
    """
    nc = await nats.connect(nats_url)
    conn = await asyncpg.connect(database_url)
    schema = f"bench_replay_{uuid.uuid4().hex[:10]}"
    try:
        event_log = EventLog(nc, stream, Subjects(root))
        policy = ScoringPolicy()
        started = time.perf_counter()
        if workers > 1:
            shared = Workers(workers, database_url)
            replayed = await replay_parallel(
                event_log, conn, TENANT, EVERYTHING, schema, policy, shared
            )
        else:
            replayed = await replay_tenant(event_log, conn, TENANT, EVERYTHING, schema, policy)
        seconds = time.perf_counter() - started
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()
        await nc.close()
    return {
        "seconds": seconds,
        "events": replayed.events_selected,
        "peak_mb": peak_rss_mb() + sum(replayed.worker_peak_mb),
        "workers": workers,
    }


async def replay_in_child(
    nats_url: str, database_url: str, stream: str, root: str, workers: int
) -> Row:
    """``replay_once`` in a process of its own (so its peak memory is its own)."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.replay",
        "--json",
        "--stream",
        stream,
        "--root",
        root,
        "--workers",
        str(workers),
        env={**os.environ, "OKR_NATS_URL": nats_url, "OKR_DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"the replay process failed ({child.returncode})")
    row: Row = json.loads(out.decode().strip().splitlines()[-1])
    return row


async def fill_quarter(nc: Client, events: int) -> tuple[Subjects, str, int]:
    """A fresh stream holding one tenant's quarter of about ``events`` events."""
    subjects, stream = await new_stream(nc)
    stored = await fill(nc, subjects, quarter(TENANT, events), events)
    return subjects, stream, stored


async def standalone(events: int, workers: int) -> None:
    """Fill a stream, replay it once here, print the figures beside the raw replay."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Settings.from_env()
        settings = Settings(
            nats_url=base.nats_url, database_url=base.database_url, data_dir=Path(tmp)
        )
        async with resolve_servers(settings) as (nats_url, database_url):
            nc = await nats.connect(nats_url)
            started = time.perf_counter()
            subjects, stream, stored = await fill_quarter(nc, events)
            print(f"stored {stored:,} events in {time.perf_counter() - started:.1f} s")
            raw = await raw_ordered_replay(nc, subjects, stored)
            row = await replay_once(nats_url, database_url, stream, subjects.root, workers)
            await nc.jetstream().delete_stream(stream)
            await nc.close()
    print(
        f"replayed {row['events']:,.0f} events in {row['seconds']:.1f} s "
        f"({row['events'] / row['seconds']:,.0f} events/s; raw ordered replay {raw:,.0f}/s); "
        f"peak RSS {row['peak_mb']:,.0f} MB (shared among {workers} processes)"
    )


def cli() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--stream", help="replay this existing stream (with --root)")
    parser.add_argument("--root", help="its subject root")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (1: serial)")
    args = parser.parse_args()
    workers = args.workers or default_workers()
    if args.stream:
        nats_url, database_url = os.environ["OKR_NATS_URL"], os.environ["OKR_DATABASE_URL"]
        row = asyncio.run(replay_once(nats_url, database_url, args.stream, args.root, workers))
        print(json.dumps(row))
        return
    asyncio.run(standalone(args.events, workers))


if __name__ == "__main__":
    cli()
