"""The seal stream: each tenant's signed tree heads, and the leaf hashes they cover."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from nats.aio.client import Client
from nats.js.errors import APIError

from events.subjects import HEADER_EXPECTED_SUBJECT_SEQ, HEADER_MSG_ID, Subjects
from projections.consumer import EventLog
from seals.merkle import HASH_BYTES
from seals.seal import Seal, UnreadableSeal
from services.adapters.event_store import WRONG_LAST_SEQUENCE
from services.adapters.stream import StreamSettings, ensure_stream

LEAVES_PER_MESSAGE = 16_384  # 512 KiB of hashes, under the default 1 MiB payload limit
_INDEX_BYTES = 8


class SealRaced(Exception):
    """Another seal of the tenant was stored first: seal again on top of it."""


@dataclass(frozen=True)
class StoredSeal:
    """A seal as the stream keeps it, or why its message cannot be read as one."""

    sequence: int
    seal: Seal | None
    problem: str | None = None


class SealStore:
    """Appends and reads seals; the stream denies delete and purge, as the event log does."""

    def __init__(self, nc: Client, stream: str, subjects: Subjects) -> None:
        self._nc = nc
        self._stream = stream
        self._subjects = subjects
        self._log = EventLog(nc, stream, subjects)

    async def ensure_stream(self, replicas: int = 1) -> None:
        """Create the seal stream unless it exists, else check it as the event stream is."""
        wanted = StreamSettings(self._stream, self._subjects, replicas=replicas, seals=True)
        await ensure_stream(self._nc, wanted)

    async def seals(self, tenant: str) -> list[StoredSeal]:
        """Every seal of ``tenant``, oldest first."""
        found = []
        async for batch in self._log.scan(self._subjects.seal_head(tenant)):
            for message in batch:
                try:
                    found.append(StoredSeal(message.sequence, Seal.from_json(message.body)))
                except UnreadableSeal as exc:
                    found.append(StoredSeal(message.sequence, None, str(exc)))
        return found

    async def latest_times(self) -> dict[str, datetime]:
        """Per tenant, when its latest seal was made (for a seal-age gauge)."""
        latest: dict[str, datetime] = {}
        async for batch in self._log.scan(self._subjects.seal_heads()):
            for message in batch:
                try:
                    seal = Seal.from_json(message.body)
                    latest[seal.tenant] = datetime.fromisoformat(seal.sealed_at)
                except ValueError:
                    continue  # verify reports it; a gauge shows the last readable one
        return latest

    async def leaves(self, tenant: str, size: int) -> list[bytes]:
        """The first ``size`` leaf hashes stored for ``tenant`` (fewer if fewer are kept)."""
        leaves: list[bytes] = []
        async for batch in self._log.scan(self._subjects.seal_leaves(tenant)):
            for message in batch:
                start = int.from_bytes(message.body[:_INDEX_BYTES], "big")
                hashes = message.body[_INDEX_BYTES:]
                if start > len(leaves):
                    continue  # a chunk beyond a gap cannot be placed
                chunk = [hashes[i : i + HASH_BYTES] for i in range(0, len(hashes), HASH_BYTES)]
                leaves[start : start + len(chunk)] = chunk
        return leaves[:size]

    async def append(
        self, seal: Seal, new_leaves: list[bytes], first_index: int, after_sequence: int
    ) -> int:
        """Store the leaves from ``first_index`` on, then the seal, expecting the tenant's
        last seal at ``after_sequence`` (0: none); returns the seal's stream sequence."""
        js = self._nc.jetstream()
        leaves_subject = self._subjects.seal_leaves(seal.tenant)
        for offset in range(0, len(new_leaves), LEAVES_PER_MESSAGE):
            index = (first_index + offset).to_bytes(_INDEX_BYTES, "big")
            chunk = b"".join(new_leaves[offset : offset + LEAVES_PER_MESSAGE])
            await js.publish(leaves_subject, index + chunk, stream=self._stream)
        headers = {HEADER_MSG_ID: seal.seal_id, HEADER_EXPECTED_SUBJECT_SEQ: str(after_sequence)}
        try:
            ack = await js.publish(
                self._subjects.seal_head(seal.tenant),
                seal.to_json().encode(),
                stream=self._stream,
                headers=headers,
            )
        except APIError as exc:
            if exc.err_code == WRONG_LAST_SEQUENCE:
                raise SealRaced(f"another seal of {seal.tenant} was stored first") from exc
            raise
        return ack.seq
