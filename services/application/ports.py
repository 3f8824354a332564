"""What the write side needs of its event log and its dead letters: the ports the JetStream
adapters fill.

Typed as a Protocol so that the use cases can run on any log that keeps these promises
(the tests drive them on one in memory).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from events.chain import GENESIS
from events.envelope import Envelope, StoredEvent
from events.personal import Sealing, SubjectKey
from events.subjects import Subjects
from services.adapters.event_store import AppendResult, Guard
from services.domain.replies import ErrorBody


class EventLog(Protocol):
    """Per-aggregate optimistic appends, guarded and atomic, deduplicated by event id."""

    @property
    def subjects(self) -> Subjects:
        """How the log names aggregates and guards."""
        ...

    async def append(
        self,
        events: Sequence[Envelope],
        expected_last_sequence: int,
        prev_hash: str = GENESIS,
        guard: Guard | None = None,
        sealings: Mapping[UUID, Sealing] | None = None,
    ) -> AppendResult:
        """Store one aggregate's events atomically if it (and the guard) did not move;
        raises ConcurrencyConflict if either did. An event named in ``sealings`` is stored
        with its personal fields sealed so."""
        ...

    async def load(
        self, tenant: str, aggregate_type: str, aggregate_id: str, after_sequence: int = 0
    ) -> list[StoredEvent]:
        """One aggregate's events stored after ``after_sequence``, in order."""
        ...

    async def last_sequence_of(self, subject: str) -> int:
        """The sequence of the last message on ``subject`` (0 when there is none)."""
        ...


class KeyVault(Protocol):
    """The data subjects' keys, as the write side uses them."""

    async def key_for(self, tenant: str, subject: str) -> SubjectKey:
        """The subject's current key, created on its first personal field."""
        ...

    async def destroy(self, tenant: str, subject: str) -> int:
        """Destroy the subject's key; how many were destroyed (0: none was left)."""
        ...


class DeadLetterKeeper(Protocol):
    """Keeps a refused report as it was sent, with why it was refused."""

    async def keep(
        self,
        tenant: str,
        body: bytes,
        reason: ErrorBody,
        received_on: str,
        received_at: datetime,
        batch_index: int | None = None,
    ) -> int:
        """Store one refused report; returns where it is kept (its sequence)."""
        ...
