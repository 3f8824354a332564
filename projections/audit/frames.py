"""What a parallel replay's coordinator and its worker processes say to each other, framed
on the worker's standard input and output."""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from projections.audit.axes import TimeAxes
from projections.audit.fold import FoldPart
from projections.parking import Culprit
from projections.scoring import ScoringPolicy

# (sequence, subject, body, hash, traceparent): a RawEvent as plain values, which pickle
# several times faster than the dataclass.
RawTuple = tuple[int, str, bytes, str | None, str | None]
DigestLine = tuple[int, bytes]  # a selected event's sequence and its line of the digest
_LENGTH = 8


@dataclass(frozen=True)
class WorkerTask:
    """The first frame a worker reads: where its share of the replay goes."""

    database_url: str
    connect_options: dict[str, Any]
    schema: str
    tenant: str
    axes: TimeAxes
    policy: ScoringPolicy
    fold: bool  # fold the report's histories too (a report; a check needs none)


@dataclass(frozen=True)
class WorkerBatch:
    """One scanned batch's events for this worker, with the keys their sealed fields name."""

    events: list[RawTuple]
    keys: dict[str, bytes | None] = field(default_factory=dict)  # kid -> key, None: destroyed


@dataclass(frozen=True)
class WorkerDone:
    """A worker's last frame: its share is written and committed."""

    skipped: tuple[Culprit, ...]
    fold: FoldPart | None
    last_sequence: int
    peak_mb: float


@dataclass(frozen=True)
class WorkerFailed:
    """A worker's last frame when it could not finish."""

    error: BaseException | None  # the exception itself when it pickles
    text: str  # its traceback


class PassedKeys:
    """The keys a coordinator looked up for the batches it passed on (a KeyRing)."""

    def __init__(self, tenant: str) -> None:
        self._tenant = tenant
        self._keys: dict[str, bytes | None] = {}

    def add(self, keys: dict[str, bytes | None]) -> None:
        """Keep the keys a batch came with."""
        self._keys.update(keys)

    async def prefetch(self, kids: Iterable[str]) -> None:
        """Nothing to load: the coordinator sent them along."""

    def key(self, tenant_id: str, kid: str) -> bytes | None:
        """The key ``kid`` of the replayed tenant (None for another tenant's, as a KeyRing)."""
        return self._keys.get(kid) if tenant_id == self._tenant else None


def frame(message: object) -> bytes:
    """One message as its length and its pickle (both ends are this code, trusted)."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return len(data).to_bytes(_LENGTH, "big") + data


async def read_frame(reader: asyncio.StreamReader) -> object:
    """The next message; EOFError when the other end closed between frames."""
    try:
        header = await reader.readexactly(_LENGTH)
        data = await reader.readexactly(int.from_bytes(header, "big"))
    except asyncio.IncompleteReadError as closed:
        raise EOFError("the other end of a replay's pipe closed") from closed
    return pickle.loads(data)
