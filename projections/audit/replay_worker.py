"""A parallel replay's worker process: its share of a tenant's goals into a schema of its own.

    python -m projections.audit.replay_worker      (started by projections.audit.shares)

It reads frames on its standard input (a WorkerTask, then WorkerBatches, then None) and
answers on its standard output: for each batch the digest lines of the events it
selected, and at the end WorkerDone (or WorkerFailed). Every batch goes through the same
loop as a serial replay (``replay_share``, ``replay_batches``), with the same writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import pickle
import resource
import sys
import traceback
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg

from projections.audit.frames import WorkerBatch, WorkerFailed, WorkerTask, frame, read_frame
from projections.audit.shares import replay_share


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


async def _batches(reader: asyncio.StreamReader) -> AsyncIterator[WorkerBatch]:
    while (message := await read_frame(reader)) is not None:
        assert isinstance(message, WorkerBatch)
        yield message


async def _work(reader: asyncio.StreamReader, out: asyncio.WriteTransport) -> None:
    task = await read_frame(reader)
    assert isinstance(task, WorkerTask)
    conn = await asyncpg.connect(task.database_url, **task.connect_options)
    try:
        done = await replay_share(conn, task, _batches(reader), lambda d: out.write(frame(d)))
        out.write(frame(dataclasses.replace(done, peak_mb=peak_rss_mb())))
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
