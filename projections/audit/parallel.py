"""Parallel replay: a tenant's goals shared among processes, then merged into one schema.

The coordinator (here) scans the tenant's events once and passes each goal's events to
one share, chosen by a stable hash of the goal, and every tenant-wide event (scoring
policy, tenant settings, erasures) to all of them: a goal's rows depend only on its own
events and on those, in stream order. The first share is replayed in this process, each
other one by a worker process (``shares``, ``replay_worker``); each decodes, selects,
folds and writes with the serial replay's own loop and writer into a schema of its own,
so none of them ever touches another's rows (a policy change re-scores, and an erasure
scrubs, every goal its share holds). At the end the shares' schemas are merged into the
first one's; the roll-ups (the cascade, the goals' scores) are then read from it by the
same queries as a serial replay's. Memory stays bounded: every process streams.
"""

from __future__ import annotations

import asyncio
import heapq
import zlib
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, get_args

import asyncpg

from events.envelope import RawEvent
from events.personal import KeyRing, kids_in
from events.values import GoalType
from projections.audit.axes import TimeAxes
from projections.audit.fold import ReportFold
from projections.audit.frames import DigestLine, RawTuple, WorkerBatch, WorkerTask
from projections.audit.merge import merge_schemas
from projections.audit.replay import REPLAY_BATCH, Progress, Replayed, drop_schema
from projections.audit.shares import LocalShare, ProcessShare, Share
from projections.consumer import EventLog
from projections.scoring import ScoringPolicy
from projections.writer import check_schema

GOAL_TYPES = frozenset(t.value for t in get_args(GoalType))


@dataclass(frozen=True)
class Workers:
    """How a replay is shared: ``count`` shares (this process and ``count - 1`` workers),
    the workers reaching PostgreSQL at ``database_url``."""

    count: int
    database_url: str
    connect_options: dict[str, Any] = field(default_factory=dict)  # asyncpg.connect's


def share_of(subject: str, workers: int) -> int | None:
    """The worker of a goal's event (a stable hash of its goal), None for a tenant-wide one."""
    tokens = subject.split(".", 4)  # root, tenant, aggregate type, id, event type (dotted)
    if len(tokens) == 5 and tokens[2] in GOAL_TYPES:
        return zlib.crc32(f"{tokens[2]}.{tokens[3]}".encode()) % workers
    return None


def _share(batch: Sequence[RawEvent], workers: int, shared: list[int]) -> list[list[RawTuple]]:
    shares: list[list[RawTuple]] = [[] for _ in range(workers)]
    for e in batch:
        values = (e.sequence, e.subject, e.body, e.hash, e.traceparent)
        k = share_of(e.subject, workers)
        if k is None:
            shared.append(e.sequence)
            for share in shares:
                share.append(values)
        else:
            shares[k].append(values)
    return shares


async def _keys_of(
    keys: KeyRing | None, tenant: str, shares: list[list[RawTuple]]
) -> list[dict[str, bytes | None]]:
    """The keys each share's sealed fields name, as the coordinator's key ring has them."""
    kids = [{kid for e in share for kid in kids_in(e[2])} for share in shares]
    if keys is None or not any(kids):
        return [{} for _ in shares]
    await keys.prefetch(set().union(*kids))
    return [{kid: keys.key(tenant, kid) for kid in wanted} for wanted in kids]


class _Tally:
    """Merges the workers' answers, batch by batch in stream order, into the counts."""

    def __init__(self, fold: ReportFold | None, progress: Progress | None) -> None:
        self._fold = fold
        self._progress = progress
        self.pending: deque[int] = deque()  # sizes of batches not answered by every worker
        self.read = self.selected = 0

    async def take(self, workers: Sequence[Share]) -> None:
        """Merge the oldest pending batch's answers (waiting for them)."""
        answers = [await w.answer() for w in workers]
        lines: list[DigestLine] = []
        for line in heapq.merge(*answers):
            if not lines or lines[-1][0] != line[0]:  # a tenant-wide event: every worker's
                lines.append(line)
        if self._fold is not None:
            self._fold.tally(lines)
        self.read += self.pending.popleft()
        self.selected += len(lines)
        if self._progress is not None:
            self._progress(self.read, self.selected)


async def replay_parallel(
    event_log: EventLog,
    conn: asyncpg.Connection,
    tenant: str,
    axes: TimeAxes,
    schema: str,
    policy: ScoringPolicy,
    workers: Workers,
    progress: Progress | None = None,
    fold: ReportFold | None = None,
    keys: KeyRing | None = None,
) -> Replayed:
    """``replay_tenant`` shared among ``workers.count`` processes, into ``schema``.

    ``fold`` (the report's) ends as one fold of every selected event would. If the
    replay is interrupted or a worker fails, the workers are stopped and every schema
    of the replay dropped.
    """
    names = [check_schema(schema)]
    names += [check_schema(f"{schema}_p{k}") for k in range(1, workers.count)]
    started: list[Share] = []
    shared: list[int] = []  # the sequences of the tenant-wide events: every share's
    tally = _Tally(fold, progress)
    try:
        for k, name in enumerate(names):
            task = WorkerTask(
                workers.database_url,
                workers.connect_options,
                name,
                tenant,
                axes,
                policy,
                fold is not None,
            )
            # The first share is replayed here, on ``conn``; the others by worker processes.
            started.append(LocalShare(conn, task) if k == 0 else await ProcessShare.start(task))
        async for batch in event_log.scan(event_log.subjects.tenant(tenant), REPLAY_BATCH):
            shares = _share(batch, len(started), shared)
            passed = await _keys_of(keys, tenant, shares)
            for worker, share, share_keys in zip(started, shares, passed, strict=True):
                worker.send(WorkerBatch(share, share_keys))
            tally.pending.append(len(batch))
            await asyncio.gather(*(w.drain() for w in started))
            while tally.pending and all(w.ready() for w in started):
                await tally.take(started)
        for worker in started:
            worker.send(None)  # no more batches
        while tally.pending:
            await tally.take(started)
        done = [await w.finish() for w in started]
        await merge_schemas(conn, schema, names[1:], shared)
    except BaseException:
        for worker in started:
            await worker.stop()
        for name in names:
            await drop_schema(conn, name)
        raise
    if fold is not None:
        fold.absorb([d.fold for d in done if d.fold is not None])
    skipped = {c.first_sequence: c for d in done for c in d.skipped}
    return Replayed(
        schema,
        tally.selected,
        tally.read,
        tuple(skipped[s] for s in sorted(skipped)),
        tuple(d.peak_mb for d in done[1:]),
    )
