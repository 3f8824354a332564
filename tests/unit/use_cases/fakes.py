"""The rest of what the use cases talk to, in memory: claims' key-value, dead letters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from events.personal import SubjectKey
from events.sealed_field import new_key, new_kid
from services.domain.replies import ErrorBody


class InMemoryKeyValue:
    """The two calls the command id claims make of a JetStream bucket."""

    def __init__(self) -> None:
        self.entries: dict[str, bytes] = {}

    async def create(self, key: str, value: bytes) -> int:
        """Create ``key`` unless it exists, as the bucket does."""
        if key in self.entries:
            raise KeyWrongLastSequenceError(description="wrong last sequence")
        self.entries[key] = value
        return len(self.entries)

    async def get(self, key: str) -> KeyValue.Entry:
        """The entry under ``key``."""
        return KeyValue.Entry("claims", key, self.entries[key], 1, None, None, None)


@dataclass
class KeptLetters:
    """The dead-letter stream: what was kept, in order."""

    kept: list[tuple[str, bytes, ErrorBody, int | None]] = field(default_factory=list)

    async def keep(
        self,
        tenant: str,
        body: bytes,
        reason: ErrorBody,
        received_on: str,
        received_at: datetime,
        batch_index: int | None = None,
    ) -> int:
        """Keep one refused report; its position is its sequence."""
        self.kept.append((tenant, body, reason, batch_index))
        return len(self.kept)


class InMemoryKeys:
    """Data subjects' keys in a dict: a KeyVault for the handler, a KeyLookup for loads."""

    def __init__(self) -> None:
        self.by_kid: dict[str, tuple[str, bytes]] = {}
        self.current: dict[tuple[str, str], str] = {}

    async def key_for(self, tenant: str, subject: str) -> SubjectKey:
        """The subject's key, made on first use."""
        kid = self.current.get((tenant, subject))
        if kid is None:
            kid = self.current[(tenant, subject)] = new_kid()
            self.by_kid[kid] = (tenant, new_key())
        return SubjectKey(tenant, subject, kid, self.by_kid[kid][1])

    async def destroy(self, tenant: str, subject: str) -> int:
        """Forget the subject's key."""
        kid = self.current.pop((tenant, subject), None)
        return 0 if kid is None or self.by_kid.pop(kid, None) is None else 1

    def key(self, tenant_id: str, kid: str) -> bytes | None:
        """A key of ``tenant_id`` by id."""
        tenant, key = self.by_kid.get(kid, ("", b""))
        return key if tenant == tenant_id and key else None
