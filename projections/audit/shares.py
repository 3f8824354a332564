"""The shares of a parallel replay: one replayed in the coordinator's own process, the
others each in a worker process; both answer the coordinator the same way."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence

import asyncpg

from events.envelope import RawEvent, StoredEvent
from projections.audit.fold import ReportFold, digest_line
from projections.audit.frames import (
    DigestLine,
    PassedKeys,
    WorkerBatch,
    WorkerDone,
    WorkerFailed,
    WorkerTask,
    frame,
    read_frame,
)
from projections.audit.replay import build_indexes, open_replay, replay_batches, replay_writer

# How far the coordinator may run ahead of a worker, in bytes of frames it has not taken
# (held in the coordinator). The readers keep asyncio's small default buffer: a large
# one is shifted down at every read (measured: it made the workers several times slower).
_AHEAD_BYTES = 2 * 2**20


class ReplayWorkerFailed(RuntimeError):
    """A worker of a parallel replay stopped without saying why in a form that travels."""


async def replay_share(
    conn: asyncpg.Connection,
    task: WorkerTask,
    batches: AsyncIterable[WorkerBatch],
    answer: Callable[[list[DigestLine]], None],
) -> WorkerDone:
    """Replay one share into ``task.schema`` with the serial replay's loop and writer.

    ``answer`` is told, batch by batch, the digest lines of the events selected (the
    coordinator merges them, in stream order, into the digest and the counts).
    """
    fold = ReportFold(task.policy) if task.fold else None
    keys = PassedKeys(task.tenant)

    async def raw() -> AsyncIterator[list[RawEvent]]:
        async for message in batches:
            keys.add(message.keys)
            yield [RawEvent(*values) for values in message.events]

    def selected(chosen: Sequence[StoredEvent]) -> None:
        answer([(e.stream_sequence, digest_line(e)) for e in chosen])
        if fold is not None:
            fold.feed(chosen)

    writer = replay_writer(conn, task.schema, task.policy, keys)
    deferred = await open_replay(writer, conn)
    await replay_batches(raw(), writer, task.axes, keys, selected)
    await build_indexes(conn, deferred)
    part = None if fold is None else fold.part()
    return WorkerDone(tuple(writer.skipped), part, writer.checkpoint, peak_mb=0.0)


class Share:
    """A share as the coordinator sees it: batches in, one answer per batch, then done."""

    def __init__(self) -> None:
        self.answers: deque[list[DigestLine]] = deque()
        self.done: WorkerDone | None = None
        self._arrived = asyncio.Event()
        self._running: asyncio.Task[None] | None = None

    def _answered(self, lines: list[DigestLine]) -> None:
        self.answers.append(lines)
        self._arrived.set()

    def send(self, message: WorkerBatch | None) -> None:
        """Queue one batch (None: there are no more)."""
        raise NotImplementedError

    async def drain(self) -> None:
        """Wait while the share is too far behind; raises if it has failed."""
        raise NotImplementedError

    def ready(self) -> bool:
        """Whether the answer to the oldest pending batch is in (or the share failed)."""
        return bool(self.answers) or (self._running is not None and self._running.done())

    async def answer(self) -> list[DigestLine]:
        """The answer to the oldest batch not answered yet."""
        assert self._running is not None
        while not self.answers:
            if self._running.done():
                self._running.result()  # raises the share's error
                raise ReplayWorkerFailed("a replay share finished without answering")
            self._arrived.clear()
            await self._arrived.wait()
        return self.answers.popleft()

    async def finish(self) -> WorkerDone:
        """Wait for the share, told there is no more, to commit."""
        assert self._running is not None
        await self._running
        assert self.done is not None
        return self.done

    async def stop(self) -> None:
        """Stop the share if it still runs (the replay is being abandoned)."""
        if self._running is not None:
            self._running.cancel()
            with contextlib.suppress(BaseException):
                await self._running


class LocalShare(Share):
    """The share replayed in the coordinator's process, on its connection: one process
    (and one interpreter's memory) fewer, and its batches are never pickled."""

    def __init__(self, conn: asyncpg.Connection, task: WorkerTask) -> None:
        super().__init__()
        self._inbox: asyncio.Queue[WorkerBatch | None] = asyncio.Queue()
        self._taken = asyncio.Event()
        self._running = asyncio.create_task(self._run(conn, task))

    async def _run(self, conn: asyncpg.Connection, task: WorkerTask) -> None:
        try:
            self.done = await replay_share(conn, task, self._batches(), self._answered)
        finally:
            self._arrived.set()
            self._taken.set()

    async def _batches(self) -> AsyncIterator[WorkerBatch]:
        while (message := await self._inbox.get()) is not None:
            self._taken.set()
            yield message

    def send(self, message: WorkerBatch | None) -> None:
        """Queue one batch (None: there are no more)."""
        self._inbox.put_nowait(message)

    async def drain(self) -> None:
        """Wait while more than one batch waits; raises if the share has failed."""
        assert self._running is not None
        while self._inbox.qsize() > 1:
            if self._running.done():
                self._running.result()
            self._taken.clear()
            await self._taken.wait()


class ProcessShare(Share):
    """A share replayed by a worker process (``replay_worker``), fed frames on its stdin."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        super().__init__()
        self._process = process
        self._running = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, task: WorkerTask) -> ProcessShare:
        """Start a worker process on ``task``."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "projections.audit.replay_worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdin is not None
        process.stdin.transport.set_write_buffer_limits(high=_AHEAD_BYTES)
        process.stdin.write(frame(task))
        return cls(process)

    def send(self, message: WorkerBatch | None) -> None:
        """Queue one frame for the worker; after None its input is closed."""
        assert self._process.stdin is not None
        self._process.stdin.write(frame(message))
        if message is None:
            self._process.stdin.close()

    async def drain(self) -> None:
        """Wait while the worker is too far behind; raises if it has failed."""
        assert self._process.stdin is not None
        assert self._running is not None
        try:
            await self._process.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            await self._running  # its own error says more than the broken pipe
            raise

    async def _read(self) -> None:
        assert self._process.stdout is not None
        try:
            while True:
                message = await read_frame(self._process.stdout)
                if isinstance(message, WorkerFailed):
                    if message.error is not None:
                        message.error.add_note(message.text)
                        raise message.error
                    raise ReplayWorkerFailed(message.text)
                if isinstance(message, WorkerDone):
                    self.done = message
                    await self._process.wait()
                    return
                assert isinstance(message, list)
                self._answered(message)
        except EOFError:
            code = await self._process.wait()
            raise ReplayWorkerFailed(f"a replay worker exited with {code}") from None
        finally:
            self._arrived.set()

    async def stop(self) -> None:
        """Kill the worker if it still runs (the replay is being abandoned)."""
        if self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
            await self._process.wait()
        await super().stop()
