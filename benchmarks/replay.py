"""Times a point-in-time replay of one tenant's quarter of N events; prints wall time and
peak memory beside the raw ordered replay of the same stream.

    python -m benchmarks.replay [--events 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from pathlib import Path

import asyncpg
import nats

from benchmarks.run import _fresh
from benchmarks.workload import quarter
from events.registry import REGISTRY
from projections.audit.replay import replay_tenant
from services.auditor import END_OF_TIME
from services.embedded import resolve_servers
from services.settings import Settings
from services.store.event_store import EventStore
from services.store.stream import StreamSettings, ensure_stream


async def main(events: int) -> None:
    """Fill a stream, then replay it as of now into a fresh schema."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Settings.from_env()
        settings = Settings(
            nats_url=base.nats_url, database_url=base.database_url, data_dir=Path(tmp)
        )
        async with resolve_servers(settings) as (nats_url, database_url):
            nc = await nats.connect(nats_url)
            subjects, stream = _fresh()
            await ensure_stream(nc, StreamSettings(stream, subjects))
            js = nc.jetstream()
            pending = []
            started = time.perf_counter()
            stored = 0
            for envelope in quarter("bench", events):
                subject = subjects.event(
                    "bench", "objective", envelope.aggregate_id, envelope.event_type
                )
                pending.append(js.publish(subject, REGISTRY.encode(envelope)))
                stored += 1
                if len(pending) == 500:
                    await asyncio.gather(*pending)
                    pending = []
            await asyncio.gather(*pending)
            print(f"stored {stored:,} events in {time.perf_counter() - started:.1f} s")
            store = EventStore(nc, stream, subjects)
            conn = await asyncpg.connect(database_url)
            started = time.perf_counter()
            replayed = await replay_tenant(
                store, conn, "bench", END_OF_TIME, "recorded", "bench_replay"
            )
            seconds = time.perf_counter() - started
            await conn.execute('DROP SCHEMA "bench_replay" CASCADE')
            await conn.close()
            await js.delete_stream(stream)
            await nc.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"replayed {len(replayed.events):,} events in {seconds:.1f} s "
        f"({len(replayed.events) / seconds:,.0f} events/s); peak RSS {peak_mb:,.0f} MB"
    )


def cli() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().events))


if __name__ == "__main__":
    cli()
