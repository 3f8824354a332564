"""Seals a tenant's log: the previous seal's leaves, extended by the events stored since."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from projections.consumer import EventLog
from seals.merkle import MerkleTree
from seals.seal import Seal
from services.adapters.seal_key import SealKeys
from services.adapters.seal_store import SealStore, StoredSeal
from services.application.sealing.tenant_log import read_leaves

Clock = Callable[[], datetime]
ON_DEMAND = "on_demand"
SCHEDULE = "schedule"
CYCLE_CLOSED = "cycle_closed:"


class CannotSeal(Exception):
    """The log or the stored seals are in a state no honest seal can be made of."""


@dataclass(frozen=True)
class SealedTree:
    """A seal and the leaves it covers (already stored)."""

    seal: Seal
    leaves: list[bytes]


def latest_readable(stored: list[StoredSeal]) -> tuple[int, Seal] | None:
    """(stream sequence, seal) of the newest readable seal."""
    for kept in reversed(stored):
        if kept.seal is not None:
            return kept.sequence, kept.seal
    return None


class Sealer:
    """Makes signed tree heads; a seal never re-reads what an earlier one covers.

    Extending the previous seal's stored leaves (checked against its signed root) rather
    than re-hashing the whole log keeps a rewrite of sealed history from being laundered
    into a fresh seal: the new seal still holds the old leaves, and the log fails against it.
    """

    def __init__(self, log: EventLog, store: SealStore, keys: SealKeys, clock: Clock) -> None:
        self._log = log
        self.store = store
        self.keys = keys
        self._clock = clock

    async def seal(
        self, tenant: str, trigger: str = ON_DEMAND, only_if_grown: bool = False
    ) -> SealedTree | None:
        """Seal every event of ``tenant`` stored so far (with ``only_if_grown``: None when no
        event was stored since the last seal)."""
        stored = await self.store.seals(tenant)
        latest = latest_readable(stored)
        previous = latest[1] if latest else None
        after_sequence = stored[-1].sequence if stored else 0
        sealed: list[bytes] = []
        if previous is not None:
            sealed = await self.store.leaves(tenant, previous.tree_size)
            if previous.tree_of(sealed) is None:
                raise CannotSeal(
                    f"the stored leaves of seal {previous.seal_id} do not hash to its root: "
                    "the seal stream was changed; run okr audit verify"
                )
        fresh = await read_leaves(self._log, tenant, previous.last_sequence if previous else 0)
        if fresh.unloadable:
            raise CannotSeal(
                f"stream sequences {fresh.unloadable} cannot be loaded: a damaged log is "
                "not sealed; run okr audit verify"
            )
        if only_if_grown and previous is not None and not fresh.leaves:
            return None
        leaves = sealed + fresh.leaves
        tree = MerkleTree(leaves)
        seal = Seal(
            tenant=tenant,
            tree_size=tree.size,
            root=tree.root().hex(),
            last_sequence=fresh.last_sequence or (previous.last_sequence if previous else 0),
            sealed_at=self._clock().isoformat(),
            trigger=trigger,
            previous_seal=previous.seal_id if previous else None,
            key_id="",
            public_key="",
        ).signed(self.keys.signing)
        await self.store.append(seal, fresh.leaves, len(sealed), after_sequence)
        return SealedTree(seal, leaves)
