"""A tenant's events as the leaves of its Merkle tree, read in stream order."""

from __future__ import annotations

from dataclasses import dataclass, field

from events.envelope import RawEvent
from projections.consumer import EventLog, ScanStalled
from seals.entry import event_leaf
from seals.proof import event_id_of


@dataclass
class TenantLeaves:
    """Leaf hashes of a tenant's stored events, with where each event is kept."""

    leaves: list[bytes] = field(default_factory=list)
    sequences: list[int] = field(default_factory=list)
    unloadable: list[int] = field(default_factory=list)  # messages the server cannot load

    @property
    def last_sequence(self) -> int:
        """The stream sequence of the last event read (0: none)."""
        return self.sequences[-1] if self.sequences else 0


async def read_leaves(
    log: EventLog, tenant: str, after_sequence: int = 0, batch_size: int = 5000
) -> TenantLeaves:
    """Every event of ``tenant`` after ``after_sequence`` as a leaf, in stream order."""
    read = TenantLeaves()
    leaves, sequences = read.leaves, read.sequences
    try:
        async for batch in log.scan(log.subjects.tenant(tenant), batch_size, after_sequence):
            leaves.extend(event_leaf(e.subject, e.hash, e.body) for e in batch)
            sequences.extend(e.sequence for e in batch)
    except ScanStalled:
        read.unloadable = await log.unloadable()
        if not read.unloadable:
            raise  # a server that stopped answering, not a damaged store
    return read


async def find_event(log: EventLog, tenant: str, event_id: str) -> tuple[int, RawEvent] | None:
    """(position among the tenant's events, the stored event) of ``event_id``, if stored."""
    needle = event_id.encode()
    position = 0
    async for batch in log.scan(log.subjects.tenant(tenant), 5000):
        for event in batch:
            # A cheap byte test first; the id is then read from the body itself.
            if needle in event.body and event_id_of(event.body) == event_id:
                return position, event
            position += 1
    return None
