"""The limits of a request/reply write service on this stack: services that do nothing.

Each one answers a request on the command subject with one acknowledged JetStream publish
of an event-sized body and a reply, so the service's figures can be read against what the
transport costs alone: one on a plain nats-py subscription (an asyncio task per message,
since nats-py runs a subscription's callbacks one at a time), one on a faststream
subscriber configured as the service's subscribers used to be (``max_workers``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import nats
from faststream.nats import NatsBroker, NatsMessage
from nats.aio.client import Client
from nats.aio.msg import Msg

from benchmarks.common import Row, new_stream, percentile
from services.bootstrap.commands import wait_until_answered
from services.entrypoints.nats.router import raw_body

TENANT = "bench"
COMMAND = "record_check_in"
OK = b'{"ok":true}'
# A service: (NATS URL, request subject, publish subject, in flight) -> running while open.
Service = Callable[[str, str, str, int], AbstractAsyncContextManager[None]]


@asynccontextmanager
async def natspy_service(
    nats_url: str, subject: str, target: str, in_flight: int
) -> AsyncIterator[None]:
    """Request -> one acknowledged publish of the body on ``target`` -> reply, on nats-py."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    tasks: set[asyncio.Task[None]] = set()

    async def handle(msg: Msg) -> None:
        await js.publish(target, msg.data)
        await msg.respond(OK)

    async def receive(msg: Msg) -> None:
        task = asyncio.create_task(handle(msg))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    await nc.subscribe(subject, queue="zero-logic", cb=receive, pending_msgs_limit=0)
    await nc.flush()
    try:
        yield
    finally:
        await nc.drain()


@asynccontextmanager
async def faststream_service(
    nats_url: str, subject: str, target: str, in_flight: int
) -> AsyncIterator[None]:
    """The same on a faststream subscriber with ``max_workers`` = the requests in flight."""
    broker = NatsBroker(nats_url, logger=logging.getLogger("bench.zero"), log_level=logging.DEBUG)
    nc = await broker.connect()
    js = nc.jetstream()

    async def handle(body: bytes, msg: NatsMessage) -> bytes:
        await js.publish(target, body)
        return OK

    broker.subscriber(subject, queue="zero-logic", max_workers=in_flight, decoder=raw_body)(handle)
    await broker.start()
    await nc.flush()
    try:
        yield
    finally:
        await broker.stop()


async def requests(nc: Client, subject: str, count: int, in_flight: int, size: int) -> Row:
    """``count`` requests of ``size`` bytes, ``in_flight`` at a time: rate and latencies."""
    body = b"x" * size
    latencies: list[float] = []

    async def client(n: int) -> None:
        for _ in range(n):
            started = time.perf_counter()
            await nc.request(subject, body, timeout=30)
            latencies.append(time.perf_counter() - started)

    share = max(1, count // in_flight)
    started = time.perf_counter()
    await asyncio.gather(*(client(share) for _ in range(in_flight)))
    seconds = time.perf_counter() - started
    return {
        "rate": share * in_flight / seconds,
        "p50_ms": 1000 * percentile(latencies, 0.5),
        "p99_ms": 1000 * percentile(latencies, 0.99),
    }


async def measure(
    nc: Client,
    nats_url: str,
    service: Service,
    count: int,
    in_flight: int,
    size: int,
) -> Row:
    """One zero-logic ``service`` on a fresh stream, driven as the check-in rows are."""
    subjects, stream = await new_stream(nc)
    subject = subjects.command(TENANT, COMMAND)
    target = subjects.event(TENANT, "objective", "g0", "zero_logic.done")
    try:
        async with service(nats_url, subject, target, in_flight):
            await wait_until_answered(nc, subject)
            return await requests(nc, subject, count, in_flight, size)
    finally:
        await nc.jetstream().delete_stream(stream)
