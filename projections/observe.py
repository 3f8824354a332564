"""What the projector tells an observer about its batches (metrics and traces live outside)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Protocol

from events.envelope import RawEvent


class BatchWatch(Protocol):
    """One batch being written: told how many events it applied once it committed."""

    def applied(self, count: int) -> None:
        """The batch committed, applying ``count`` events."""


class ProjectionObserver(Protocol):
    """Watches each batch the projector writes, from its delivery to its commit."""

    def batch(self, events: Sequence[RawEvent]) -> AbstractContextManager[BatchWatch]:
        """Enter before the batch's transaction, leave after its commit (or failure)."""


class _Unwatched:
    def applied(self, count: int) -> None:
        """Nobody is told."""


class Unobserved:
    """The observer when nobody watches: no work per batch."""

    _watch = _Unwatched()

    def batch(self, events: Sequence[RawEvent]) -> AbstractContextManager[BatchWatch]:
        """A context that records nothing."""
        return nullcontext(self._watch)


UNOBSERVED = Unobserved()
