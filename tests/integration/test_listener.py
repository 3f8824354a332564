"""The request listener on a real NATS: bounded in flight, busy beyond, a graceful stop."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping

import pytest
from nats.aio.client import Client

from services.entrypoints.nats.listener import Limits, Listener

pytestmark = pytest.mark.integration
BUSY = b"busy"


class Gate:
    """A respond function that holds every request until released, and counts them."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started = 0
        self.finished = 0
        self.headers: list[Mapping[str, str]] = []

    async def respond(self, subject: str, body: bytes, headers: Mapping[str, str]) -> bytes:
        self.started += 1
        self.headers.append(headers)
        await self.release.wait()
        self.finished += 1
        return b"done:" + body


def subject() -> str:
    return f"test.listener.{uuid.uuid4().hex[:8]}"


async def test_beyond_running_and_waiting_a_request_is_answered_busy(
    nats_client: Client,
) -> None:
    gate, where = Gate(), subject()
    listener = Listener(where, "q", gate.respond, BUSY, Limits(running=1, waiting=1))
    await listener.start(nats_client)
    await nats_client.flush()
    first = asyncio.create_task(nats_client.request(where, b"1", timeout=5))
    second = asyncio.create_task(nats_client.request(where, b"2", timeout=5))
    while listener.in_flight < 2:  # noqa: ASYNC110 (the count is the listener's, not ours)
        await asyncio.sleep(0.01)
    third = await nats_client.request(where, b"3", timeout=5)
    assert third.data == BUSY
    assert gate.started == 1  # the second waits its turn
    gate.release.set()
    assert {(await first).data, (await second).data} == {b"done:1", b"done:2"}
    await listener.stop(grace_s=5)


async def test_stop_lets_the_requests_in_flight_finish_and_reply(nats_client: Client) -> None:
    gate, where = Gate(), subject()
    listener = Listener(where, "q", gate.respond, BUSY, Limits(running=4, waiting=0))
    await listener.start(nats_client)
    await nats_client.flush()
    pending = [
        asyncio.create_task(nats_client.request(where, str(i).encode(), timeout=5))
        for i in range(3)
    ]
    while gate.started < 3:  # noqa: ASYNC110 (requests arrive over NATS)
        await asyncio.sleep(0.01)
    stopping = asyncio.create_task(listener.stop(grace_s=5))
    await asyncio.sleep(0.05)
    assert not stopping.done()  # waits for the three
    gate.release.set()
    await stopping
    assert gate.finished == 3
    assert sorted([(await p).data for p in pending]) == [b"done:0", b"done:1", b"done:2"]


async def test_the_request_headers_reach_the_responder(nats_client: Client) -> None:
    gate, where = Gate(), subject()
    gate.release.set()
    listener = Listener(where, "q", gate.respond, BUSY, Limits())
    await listener.start(nats_client)
    await nats_client.flush()
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    await nats_client.request(where, b"x", timeout=5, headers={"traceparent": traceparent})
    assert gate.headers[0]["traceparent"] == traceparent
    await listener.stop(grace_s=5)
