"""What every benchmark row shares: fresh streams, filling them, the raw NATS limits."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg

from events.envelope import Envelope
from events.personal import Sealing
from events.registry import REGISTRY
from events.subjects import Subjects
from services.adapters.stream import StreamSettings, ensure_stream
from services.adapters.telemetry.progress import Progress

Row = dict[str, float]
FILL_WINDOW = 1000  # publishes awaiting their acks while a stream is filled


def fresh() -> tuple[Subjects, str]:
    """A subject root and stream name nobody else uses."""
    root = f"b{uuid.uuid4().hex[:10]}"
    return Subjects(root), f"BENCH_{root.upper()}"


async def timed(run: Callable[[], Awaitable[Any]]) -> float:
    """Seconds ``run`` takes."""
    started = time.perf_counter()
    await run()
    return time.perf_counter() - started


async def rate(count: int, run: Callable[[], Awaitable[Any]]) -> float:
    """``count`` divided by the seconds ``run`` takes."""
    return count / await timed(run)


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def fill(
    nc: Client,
    subjects: Subjects,
    envelopes: Iterable[Envelope],
    total: int | None = None,
    sealing: Sealing | None = None,
) -> int:
    """Store ``envelopes`` on their subjects as the store would (personal fields sealed
    with ``sealing``, as the command service seals them); returns how many.

    Shows its progress (of ``total``, if known) on standard error.
    """
    with Progress("stream fill", total) as shown:
        return await _fill(nc, subjects, envelopes, shown, sealing)


async def _fill(
    nc: Client,
    subjects: Subjects,
    envelopes: Iterable[Envelope],
    shown: Progress,
    sealing: Sealing | None,
) -> int:
    js = nc.jetstream()
    window: list[Awaitable[Any]] = []
    stored = 0
    for envelope in envelopes:
        subject = subjects.event(
            envelope.tenant_id,
            envelope.aggregate_type.value,
            envelope.aggregate_id,
            envelope.event_type,
        )
        window.append(js.publish(subject, REGISTRY.encode(envelope, sealing)))
        stored += 1
        if len(window) == FILL_WINDOW:
            await asyncio.gather(*window)
            window = []
            shown.update(stored)
    await asyncio.gather(*window)
    shown.update(stored)
    return stored


async def new_stream(nc: Client) -> tuple[Subjects, str]:
    """A fresh event stream, configured as the service's own."""
    subjects, stream = fresh()
    await ensure_stream(nc, StreamSettings(stream, subjects))
    return subjects, stream


async def raw_publish(nc: Client, count: int, in_flight: int, size: int) -> float:
    """Raw JetStream publishes of ``size`` bytes, ``in_flight`` awaiting acks: msgs/s."""
    subjects, stream = await new_stream(nc)
    js = nc.jetstream()
    body = b"x" * size

    async def worker(n: int) -> None:
        for i in range(n):
            await js.publish(subjects.event("raw", "objective", f"g{i % 97}", "raw.event"), body)

    share = max(1, count // in_flight)
    result = await rate(
        share * in_flight, lambda: asyncio.gather(*[worker(share) for _ in range(in_flight)])
    )
    await js.delete_stream(stream)
    return result


async def raw_ordered_replay(nc: Client, subjects: Subjects, stored: int) -> float:
    """Messages/s of an ordered push consumer that only counts what it is given."""
    js = nc.jetstream()
    done = asyncio.Event()
    seen = 0

    async def count(msg: Msg) -> None:
        nonlocal seen
        seen += 1
        if seen == stored:
            done.set()

    async def replay() -> None:
        # No client-side limit: nats-py answers flow control on arrival, so on a long
        # stream the server may run far ahead of the callback; the raw replay must not
        # drop what it is timing.
        sub = await js.subscribe(
            subjects.all_events(),
            ordered_consumer=True,
            cb=count,
            pending_msgs_limit=0,
            pending_bytes_limit=0,
        )
        await done.wait()
        await sub.unsubscribe()

    return await rate(stored, replay)
