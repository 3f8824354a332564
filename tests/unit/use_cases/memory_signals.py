"""The signal stream in memory: per-subject sequences, the expected-last-sequence check and
the id's dedupe, as JetStream keeps them for the scanner."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from events.subjects import DEFAULT_SUBJECTS, Subjects
from services.adapters.signal_stream import LastSignal, SendOutcome


@dataclass(frozen=True)
class Kept:
    """One stored signal."""

    sequence: int
    subject: str
    signal_type: str
    signal_id: str
    body: bytes


@dataclass
class InMemorySignalLog:
    """Stores a signal only if its subject has not moved past ``expected``; an id seen
    before is a duplicate. Each call yields to the loop, so two scanners interleave."""

    subjects: Subjects = DEFAULT_SUBJECTS
    kept: list[Kept] = field(default_factory=list)
    # Runs once, just before the next send is judged: another instance getting there first.
    before_next_send: Callable[[], None] | None = None

    async def last(self, subject: str) -> LastSignal:
        """The latest signal on ``subject`` (sequence 0: none)."""
        await asyncio.sleep(0)
        on_subject = [k for k in self.kept if k.subject == subject]
        if not on_subject:
            return LastSignal(0, None)
        return LastSignal(on_subject[-1].sequence, on_subject[-1].body)

    async def send(
        self, subject: str, signal_type: str, signal_id: str, body: bytes, expected: int
    ) -> SendOutcome:
        """Store one signal unless the subject moved or the id was stored already."""
        await asyncio.sleep(0)
        if self.before_next_send is not None:
            interfere, self.before_next_send = self.before_next_send, None
            interfere()
        if any(k.signal_id == signal_id for k in self.kept):
            return SendOutcome.DUPLICATE
        on_subject = [k for k in self.kept if k.subject == subject]
        if (on_subject[-1].sequence if on_subject else 0) != expected:
            return SendOutcome.LOST_RACE
        self.store(subject, signal_type, signal_id, body)
        return SendOutcome.STORED

    def store(self, subject: str, signal_type: str, signal_id: str, body: bytes) -> None:
        """Append a signal as the stream would, whoever sent it."""
        self.kept.append(Kept(len(self.kept) + 1, subject, signal_type, signal_id, body))

    def types(self) -> list[str]:
        """The stored signals' types, in order."""
        return [k.signal_type for k in self.kept]
