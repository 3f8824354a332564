"""A parallel replay's worker process: its share of a tenant's goals into a schema of its own.

    python -m projections.audit.replay_worker      (started by projections.audit.parallel)

It reads frames on its standard input (a WorkerTask, then WorkerBatches, then None) and
answers on its standard output: for each batch the digest lines of the events it
selected, and at the end WorkerDone (or WorkerFailed). Every batch goes through the same
loop as a serial replay (``replay_batches``), with the same writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import resource
import sys
import traceback
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import asyncpg

from events.envelope import RawEvent, StoredEvent
from projections.audit.fold import ReportFold, digest_line
from projections.audit.frames import (
    PassedKeys,
    WorkerBatch,
    WorkerDone,
    WorkerFailed,
    WorkerTask,
    frame,
    read_frame,
)
from projections.audit.replay import build_indexes, open_replay, replay_batches, replay_writer


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB.

    Linux: VmHWM, which starts afresh at exec. ru_maxrss does not: a child started by a
    large process inherits the parent's size at fork as its "peak".
    """
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _batches(reader: asyncio.StreamReader, keys: PassedKeys) -> AsyncIterator[list[RawEvent]]:
    while (message := await read_frame(reader)) is not None:
        assert isinstance(message, WorkerBatch)
        keys.add(message.keys)
        yield [RawEvent(*values) for values in message.events]


async def _work(reader: asyncio.StreamReader, out: asyncio.WriteTransport) -> None:
    task = await read_frame(reader)
    assert isinstance(task, WorkerTask)
    fold = ReportFold(task.policy) if task.fold else None
    keys = PassedKeys(task.tenant)

    def answer(chosen: Sequence[StoredEvent]) -> None:
        # The coordinator merges these, in stream order, into the digest and the counts.
        out.write(frame([(e.stream_sequence, digest_line(e)) for e in chosen]))
        if fold is not None:
            fold.feed(chosen)

    conn = await asyncpg.connect(task.database_url, **task.connect_options)
    try:
        writer = replay_writer(conn, task.schema, task.policy, keys)
        deferred = await open_replay(writer, conn)
        await replay_batches(_batches(reader, keys), writer, task.axes, keys, answer)
        await build_indexes(conn, deferred)
        part = None if fold is None else fold.part()
        done = WorkerDone(tuple(writer.skipped), part, writer.checkpoint, peak_rss_mb())
        out.write(frame(done))
    finally:
        await conn.close()


def _portable(exc: BaseException) -> BaseException | None:
    """``exc`` if it survives a pickle round trip (then the coordinator raises the same)."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return None
    return exc


async def _main() -> int:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
    # Frames go out on the original standard output; anything printed goes to stderr.
    frames_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    out, _ = await loop.connect_write_pipe(asyncio.Protocol, frames_out)
    try:
        await _work(reader, out)
        return 0
    except Exception as exc:  # told to the coordinator, which raises it
        out.write(frame(WorkerFailed(_portable(exc), traceback.format_exc())))
        return 1
    finally:
        out.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(_main()))
