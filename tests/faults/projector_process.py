"""The live projector as a process of its own, for a test to SIGKILL.

    python -m tests.faults.projector_process NATS_URL DATABASE_URL STREAM SCHEMA [BATCH
        [PARTITIONS WORKER]]

It runs projections.runner.Projector unchanged. Around each batch it prints one line,
flushed, so the test can time its kill: ``writing <first> <last>`` before the batch's
transaction starts, ``committed <checkpoint>`` after it commits; and ``holding <p,p,...>``
(or ``holding -``) whenever the partitions it owns change. SIGTERM stops it cleanly.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Collection, Sequence

import asyncpg
import nats

from events.envelope import StoredEvent
from events.scoring_policy import ScoringPolicy
from projections.partitions import DEFAULT_PARTITIONS
from projections.runner import Projector


async def run(
    nats_url: str,
    database_url: str,
    stream: str,
    schema: str,
    batch: int,
    partitions: int = DEFAULT_PARTITIONS,
    worker: str | None = None,
) -> None:
    """Project until SIGTERM (or until killed)."""
    nc = await nats.connect(nats_url)
    conn = await asyncpg.connect(database_url)
    policy = ScoringPolicy()
    projector = Projector(
        nc, conn, stream, schema, policy, batch_size=batch, partitions=partitions, worker=worker
    )
    write, hold = projector.writer.write, projector.writer.hold

    async def held(owned: Collection[int]) -> bool:
        behind = await hold(owned)
        print(f"holding {','.join(map(str, sorted(owned))) or '-'}", flush=True)
        return behind

    async def announced(
        events: Sequence[StoredEvent],
        selection: bool = False,
        delivered: Sequence[int] | None = None,
    ) -> int:
        if events:
            print(f"writing {events[0].stream_sequence} {events[-1].stream_sequence}", flush=True)
        applied = await write(events, selection, delivered)
        print(f"committed {projector.writer.checkpoint}", flush=True)
        return applied

    projector.writer.write = announced  # type: ignore[method-assign,assignment]
    projector.writer.hold = held  # type: ignore[method-assign]
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("started", flush=True)
    try:
        await projector.run_batches(stop, idle_wait_s=0.1)
    finally:
        await conn.close()
        await nc.close()


def main(argv: Sequence[str]) -> None:
    """Parse the positional arguments and run."""
    nats_url, database_url, stream, schema, *rest = argv
    batch = int(rest[0]) if rest else 100
    shared = (int(rest[1]), rest[2]) if len(rest) == 3 else ()
    asyncio.run(run(nats_url, database_url, stream, schema, batch, *shared))


if __name__ == "__main__":
    main(sys.argv[1:])
