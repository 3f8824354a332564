"""Request/reply on one plain nats-py subscription, each request on a task of its own.

faststream's subscriber runs ``max_workers`` handlers through anyio streams and task groups,
which on this stack cost more per message than the whole command path (docs/benchmarks.md);
nats-py runs a subscription's callbacks one after another, so the callback only starts a
task. At most ``running`` requests are handled at once and ``waiting`` more wait their
turn; beyond that a request is answered ``busy`` at once instead of queueing without end.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import Error as NatsError

log = logging.getLogger(__name__)
NO_HEADERS: Mapping[str, str] = {}
# Answers a request: (subject, body, headers) -> the reply's body. Must not raise.
Respond = Callable[[str, bytes, Mapping[str, str]], Awaitable[bytes]]


@dataclass(frozen=True)
class Limits:
    """How many requests one listener handles at once, and how many more may wait."""

    running: int = 64
    waiting: int = 192


class Listener:
    """One queue-group subscription answering each request with ``respond``."""

    def __init__(
        self, subject: str, queue: str, respond: Respond, busy: bytes, limits: Limits
    ) -> None:
        self.subject = subject
        self._queue = queue
        self._respond = respond
        self._busy = busy
        self._limits = limits
        self._turns = asyncio.Semaphore(limits.running)
        self._tasks: set[asyncio.Task[None]] = set()
        self._sub: Subscription | None = None

    @property
    def in_flight(self) -> int:
        """Requests received and not answered yet."""
        return len(self._tasks)

    async def start(self, nc: Client) -> None:
        """Subscribe; requests are answered from here on."""
        # No client-side drop: the bound is ours (``busy``), and a request nats-py dropped
        # would get no answer at all.
        self._sub = await nc.subscribe(
            self.subject,
            queue=self._queue,
            cb=self._received,
            pending_msgs_limit=0,
            pending_bytes_limit=0,
        )

    async def _received(self, msg: Msg) -> None:
        if len(self._tasks) >= self._limits.running + self._limits.waiting:
            await self._reply(msg, self._busy)
            return
        task = asyncio.create_task(self._handle(msg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, msg: Msg) -> None:
        async with self._turns:
            reply = await self._respond(msg.subject, msg.data, msg.headers or NO_HEADERS)
        await self._reply(msg, reply)

    async def _reply(self, msg: Msg, body: bytes) -> None:
        if not msg.reply:
            return  # a publish, not a request: nobody waits for an answer
        try:
            await msg.respond(body)
        except NatsError as exc:  # the connection is closing; the caller's timeout answers it
            log.warning("no reply sent on %s: %r", self.subject, exc)

    async def stop(self, grace_s: float) -> None:
        """Stop receiving, then let every request already received finish (up to
        ``grace_s``): what a handler started is stored whole or not at all."""
        if self._sub is not None:
            try:
                # Drain: the server stops sending, what was delivered is still handed over.
                await self._sub.drain()  # type: ignore[no-untyped-call]
            except NatsError as exc:
                log.warning("draining %s: %r", self.subject, exc)
            self._sub = None
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=grace_s)
            if late:
                log.warning("%d requests on %s still running at shutdown", len(late), self.subject)
