"""Revoked token ids, shared by every instance through one JetStream key-value bucket.

Revoking writes the token's id as a key; each HTTP instance watches the bucket and keeps
the ids in memory, so a revocation takes effect everywhere as soon as the watch delivers
it (milliseconds on one server) and a request never waits on NATS to be admitted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from nats.aio.client import Client
from nats.js.kv import KeyValue

from services.adapters.buckets import open_bucket

log = logging.getLogger(__name__)


class RevokedTokens:
    """The revoked ids of one deployment: ``jti in revoked`` answers from memory."""

    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv
        self._ids: set[str] = set()
        self._watch: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls, nc: Client, bucket: str, keep: timedelta, replicas: int = 1
    ) -> RevokedTokens:
        """The bucket ``bucket``, created if missing (safe to race); a revocation is kept
        ``keep`` (it must outlive the longest-lived token)."""
        description = "revoked token id -> when the token expires"
        return cls(await open_bucket(nc, bucket, description, keep.total_seconds(), replicas))

    def __contains__(self, jti: object) -> bool:
        return jti in self._ids

    async def revoke(self, jti: str, expires_at: datetime) -> None:
        """Revoke token ``jti`` on every instance (a second revocation changes nothing)."""
        await self._kv.put(jti, expires_at.isoformat().encode())

    async def start(self) -> None:
        """Load every revocation, then follow new ones until ``stop``."""
        watcher = await self._kv.watchall()
        loaded = asyncio.get_running_loop().create_future()

        def done_loading(_: object = None) -> None:
            if not loaded.done():
                loaded.set_result(None)

        async def follow() -> None:
            async for entry in watcher:
                if entry is None:  # the values stored so far are all delivered
                    done_loading()
                else:
                    self._ids.add(entry.key)

        self._watch = asyncio.create_task(follow(), name="revoked-tokens-watch")
        self._watch.add_done_callback(done_loading)  # a watch that ends never blocks start
        await loaded

    async def stop(self) -> None:
        """Stop following the bucket."""
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
