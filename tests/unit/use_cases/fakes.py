"""The rest of what the use cases talk to, in memory: claims' key-value, dead letters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KeyValue

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
