"""The data subjects' keys, in a JetStream key-value bucket whose deletes are real.

One entry per key (``kid.<kid>``: tenant, subject and the key) and one naming each
subject's current key (``subject.<tenant>.<sha256 of the subject id>``). The bucket keeps no
history (``history=1``); destroying a key first erases its message in place (the server
overwrites a deleted message's bytes) and then purges the entry, so no revision holds it.
Keys never enter the event stream or a log line. Caching: a key id once found missing stays
missing (ids are never reused); a present key is trusted for ``cache_s`` at most, so another
instance stops opening an erased subject's fields within that time.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import time
from collections.abc import Callable, Iterable

from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js.api import DiscardPolicy, StorageType, StreamConfig
from nats.js.errors import BucketNotFoundError, KeyWrongLastSequenceError, NotFoundError
from nats.js.kv import KeyValue

from events.personal import SubjectKey
from events.sealed_field import new_key, new_kid
from services.adapters.event_store import StoreUnavailable

DEFAULT_CACHE_S = 30.0
_FOREVER = math.inf


def _subject_entry(tenant: str, subject: str) -> str:
    return f"subject.{tenant}.{hashlib.sha256(subject.encode()).hexdigest()}"


def _kid_entry(kid: str) -> str:
    return f"kid.{kid}"


class SubjectKeys:
    """Creates, finds and destroys data subjects' keys (a KeyRing for readers)."""

    def __init__(
        self,
        nc: Client,
        kv: KeyValue,
        bucket: str,
        cache_s: float = DEFAULT_CACHE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._js = nc.jetstream()
        self._kv = kv
        self._stream = f"KV_{bucket}"
        self._cache_s = cache_s
        self._clock = clock
        self._by_kid: dict[str, tuple[str, bytes | None, float]] = {}
        self._by_subject: dict[tuple[str, str], tuple[SubjectKey, float]] = {}

    @classmethod
    async def open(
        cls, nc: Client, bucket: str, replicas: int = 1, cache_s: float = DEFAULT_CACHE_S
    ) -> SubjectKeys:
        """The bucket ``bucket``, created if missing (safe to race)."""
        js = nc.jetstream()
        try:
            kv = await js.key_value(bucket)
        except BucketNotFoundError:
            # A key-value bucket is a stream by convention; this one is made by hand since
            # the client makes buckets with deny_delete, which forbids erasing in place.
            await js.add_stream(
                StreamConfig(
                    name=f"KV_{bucket}",
                    description="data subjects' keys; destroyed on erasure (okr-ledger)",
                    subjects=[f"$KV.{bucket}.>"],
                    allow_direct=True,
                    allow_rollup_hdrs=True,
                    deny_delete=False,
                    deny_purge=False,
                    discard=DiscardPolicy.NEW,
                    max_msgs_per_subject=1,
                    storage=StorageType.FILE,
                    num_replicas=replicas,
                )
            )
            kv = await js.key_value(bucket)
        return cls(nc, kv, bucket, cache_s)

    async def key_for(self, tenant: str, subject: str) -> SubjectKey:
        """The subject's current key, created on its first personal field."""
        now = self._clock()
        cached = self._by_subject.get((tenant, subject))
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            found = await self._current(tenant, subject)
            if found is None:
                found = await self._create(tenant, subject)
        except NatsError as exc:
            raise StoreUnavailable(f"subject keys: {exc!r}") from exc
        self._by_subject[(tenant, subject)] = (found, now + self._cache_s)
        self._by_kid[found.kid] = (tenant, found.key, now + self._cache_s)
        return found

    async def _current(self, tenant: str, subject: str) -> SubjectKey | None:
        try:
            entry = await self._kv.get(_subject_entry(tenant, subject))
        except NotFoundError:
            return None
        kid = (entry.value or b"").decode()
        await self.prefetch([kid])
        key = self.key(tenant, kid)
        return None if key is None else SubjectKey(tenant, subject, kid, key)

    async def _create(self, tenant: str, subject: str) -> SubjectKey:
        kid, key = new_kid(), new_key()
        record = {"tenant": tenant, "subject": subject, "key": base64.b64encode(key).decode()}
        await self._kv.create(_kid_entry(kid), json.dumps(record).encode())
        try:
            await self._kv.create(_subject_entry(tenant, subject), kid.encode())
        except KeyWrongLastSequenceError:
            # Another writer gave the subject a key first: use that one, drop ours.
            await self._erase(_kid_entry(kid))
            current = await self._current(tenant, subject)
        else:
            return SubjectKey(tenant, subject, kid, key)
        if current is None:
            raise StoreUnavailable("a subject key was created and destroyed meanwhile")
        return current

    async def prefetch(self, kids: Iterable[str]) -> None:
        """Load the keys ``kids`` names that the cache does not hold (or holds too long)."""
        now = self._clock()
        missing = [k for k in set(kids) if self._by_kid.get(k, ("", None, 0.0))[2] <= now]
        if not missing:
            return
        try:
            found = await asyncio.gather(*(self._load(kid) for kid in missing))
        except NatsError as exc:
            raise StoreUnavailable(f"subject keys: {exc!r}") from exc
        for kid, (tenant, key) in zip(missing, found, strict=True):
            self._by_kid[kid] = (tenant, key, now + self._cache_s if key else _FOREVER)

    async def _load(self, kid: str) -> tuple[str, bytes | None]:
        try:
            entry = await self._kv.get(_kid_entry(kid))
        except NotFoundError:
            return "", None
        record = json.loads(entry.value or b"{}")
        return str(record["tenant"]), base64.b64decode(record["key"])

    def key(self, tenant_id: str, kid: str) -> bytes | None:
        """A prefetched key of ``tenant_id`` (None: destroyed, unknown or another tenant's)."""
        tenant, key, _ = self._by_kid.get(kid, ("", None, 0.0))
        return key if tenant == tenant_id else None

    async def destroy(self, tenant: str, subject: str) -> int:
        """Destroy the subject's current key (erased in place, then purged); returns how
        many keys were destroyed (0 when it had none: a repeated erasure)."""
        entry_name = _subject_entry(tenant, subject)
        destroyed = 0
        try:
            try:
                entry = await self._kv.get(entry_name)
            except NotFoundError:
                entry = None
            if entry is not None:
                kid = (entry.value or b"").decode()
                destroyed = await self._erase(_kid_entry(kid))
                self._by_kid[kid] = ("", None, _FOREVER)
                await self._erase(entry_name)
        except NatsError as exc:
            raise StoreUnavailable(f"subject keys: {exc!r}") from exc
        self._by_subject.pop((tenant, subject), None)
        return destroyed

    async def _erase(self, name: str) -> int:
        try:
            entry = await self._kv.get(name)
        except NotFoundError:
            return 0
        if entry.revision is not None:
            await self._js.delete_msg(self._stream, entry.revision)
        await self._kv.purge(name)
        return 1
