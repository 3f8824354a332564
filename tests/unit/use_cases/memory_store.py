"""An event log in memory that keeps the promises of the JetStream store.

Appends are checked as JetStream checks them: the aggregate's last sequence (the
expected-last-subject-sequence header), the guard subject's, and the event id (the
Nats-Msg-Id) against a duplicate window, which JetStream checks first. Bodies are the
registry's wire JSON and chained as the store chains them, so loads decode what a real
append would have stored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from uuid import UUID

from events.chain import GENESIS, event_hash
from events.envelope import Envelope, StoredEvent
from events.personal import KeyLookup, Sealing
from events.registry import REGISTRY
from events.subjects import DEFAULT_SUBJECTS, Subjects
from services.adapters.event_store import AppendResult, ConcurrencyConflict, Guard

Race = Callable[[], Awaitable[None]]


def matches(subject_filter: str, subject: str) -> bool:
    """NATS subject matching: ``*`` is one token, a final ``>`` one or more."""
    wanted, tokens = subject_filter.split("."), subject.split(".")
    for index, token in enumerate(wanted):
        if token == ">":
            return len(tokens) > index
        if index >= len(tokens) or token not in ("*", tokens[index]):
            return False
    return len(tokens) == len(wanted)


class InMemoryEventStore:
    """One stream's messages in a list; sequences start at 1."""

    def __init__(
        self, subjects: Subjects = DEFAULT_SUBJECTS, keys: KeyLookup | None = None
    ) -> None:
        self.subjects = subjects
        self._keys = keys
        self.messages: list[tuple[str, bytes, str | None]] = []  # subject, body, hash
        self._ids: dict[UUID, int] = {}  # event id -> its sequence (the duplicate window)
        self._races: list[Race] = []
        self._racing = False
        self.appends = 0  # calls, refused ones included

    def race(self, writer: Race) -> None:
        """Run ``writer`` just before the next append is checked: another writer won."""
        self._races.append(writer)

    def forget_ids(self) -> None:
        """The duplicate window has passed: event ids are no longer remembered."""
        self._ids.clear()

    async def append(
        self,
        events: Sequence[Envelope],
        expected_last_sequence: int,
        prev_hash: str = GENESIS,
        guard: Guard | None = None,
        sealings: Mapping[UUID, Sealing] | None = None,
    ) -> AppendResult:
        """Store one aggregate's events atomically, as the JetStream store does."""
        self.appends += 1
        if self._races and not self._racing:  # a rival's own append is not raced
            self._racing = True
            try:
                await self._races.pop(0)()
            finally:
                self._racing = False
        first = events[0]
        key = (first.tenant_id, first.aggregate_type.value, first.aggregate_id)
        if first.event_id in self._ids:
            return AppendResult(self._ids[first.event_id], duplicate=True)
        if self._last(self.subjects.aggregate(*key)) != expected_last_sequence:
            raise ConcurrencyConflict("wrong last sequence")
        if guard is not None and self._last(guard.subject) != guard.expected_last_sequence:
            raise ConcurrencyConflict("wrong last sequence on the guard")
        stored: list[StoredEvent] = []
        for event in events:
            event = event.model_copy(update={"prev_hash": prev_hash})
            body = REGISTRY.encode(event, (sealings or {}).get(event.event_id))
            prev_hash = event_hash(prev_hash, body)
            subject = self.subjects.event(*key, event.event_type)
            self.messages.append((subject, body, prev_hash))
            self._ids[event.event_id] = len(self.messages)
            stored.append(
                REGISTRY.decode_stored(len(self.messages), subject, body, prev_hash, self._keys)
            )
        if guard is not None:
            self.messages.append((guard.subject, guard.body, None))
        return AppendResult(len(self.messages), duplicate=False, stored=tuple(stored))

    async def load(
        self, tenant: str, aggregate_type: str, aggregate_id: str, after_sequence: int = 0
    ) -> list[StoredEvent]:
        """One aggregate's events after ``after_sequence``."""
        subject_filter = self.subjects.aggregate(tenant, aggregate_type, aggregate_id)
        return await self.load_matching(subject_filter, after_sequence)

    async def load_matching(
        self, subject_filter: str, after_sequence: int = 0
    ) -> list[StoredEvent]:
        """Every event whose subject matches ``subject_filter``, after ``after_sequence``."""
        return [
            REGISTRY.decode_stored(sequence, subject, body, hash_, self._keys)
            for sequence, (subject, body, hash_) in enumerate(self.messages, start=1)
            if sequence > after_sequence and matches(subject_filter, subject)
        ]

    async def last_sequence_of(self, subject: str) -> int:
        """The sequence of the last message on ``subject`` (0 when there is none)."""
        return self._last(subject)

    def _last(self, subject_filter: str) -> int:
        return max(
            (
                sequence
                for sequence, (subject, _, _) in enumerate(self.messages, start=1)
                if matches(subject_filter, subject)
            ),
            default=0,
        )

    def events(self) -> list[Envelope]:
        """Every stored event, in stream order (guard messages left out)."""
        return [
            REGISTRY.decode_stored(sequence, subject, body, hash_, self._keys).envelope
            for sequence, (subject, body, hash_) in enumerate(self.messages, start=1)
            if hash_ is not None
        ]
