"""Inclusion proofs: one event, its place in the latest seal that covers it, and the path."""

from __future__ import annotations

import base64

from projections.consumer import EventLog
from seals.entry import event_leaf
from seals.proof import InclusionProof
from services.adapters.seal_store import SealStore
from services.application.sealing.tenant_log import find_event


class CannotProve(Exception):
    """No proof can be given: the event is unknown, not sealed yet, or changed since."""


class Prover:
    """Builds O(log n) proofs from the seal stream's leaves, checked against the signed root."""

    def __init__(self, log: EventLog, store: SealStore) -> None:
        self._log = log
        self._store = store

    async def prove(self, tenant: str, event_id: str) -> InclusionProof:
        """The proof that event ``event_id`` is in the tenant's latest seal covering it."""
        found = await find_event(self._log, tenant, event_id)
        if found is None:
            raise CannotProve(f"tenant {tenant} has no event {event_id}")
        position, event = found
        covering = [
            s.seal
            for s in await self._store.seals(tenant)
            if s.seal is not None and s.seal.tree_size > position
        ]
        if not covering:
            raise CannotProve(
                f"event {event_id} (position {position}) is not sealed yet: okr audit seal first"
            )
        seal = covering[-1]
        tree = seal.tree_of(await self._store.leaves(tenant, seal.tree_size))
        if tree is None:
            raise CannotProve(f"the kept leaves of seal {seal.seal_id} do not hash to its root")
        if tree.subtree_root(position, position + 1) != event_leaf(
            event.subject, event.hash, event.body
        ):
            raise CannotProve(
                f"event {event_id} at position {position} is not the event that was sealed "
                "there: okr audit verify names the change"
            )
        return InclusionProof(
            tenant=tenant,
            event_id=event_id,
            leaf_index=position,
            tree_size=seal.tree_size,
            root=seal.root,
            seal_id=seal.seal_id,
            stream_sequence=event.sequence,
            subject=event.subject,
            okr_hash=event.hash or "",
            body=base64.b64encode(event.body).decode(),
            path=tuple(p.hex() for p in tree.inclusion_proof(position)),
        )
