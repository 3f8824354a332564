"""The sealing use cases behind one object: seal, list, verify, prove, and the seals' age."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime

from projections.consumer import EventLog
from seals.proof import InclusionProof
from seals.seal import Seal
from services.adapters.seal_key import SealKeys
from services.adapters.seal_store import SealStore
from services.application.sealing.findings import SealChainCheck, SealCheck
from services.application.sealing.prover import Prover
from services.application.sealing.sealer import ON_DEMAND, Clock, SealedTree, Sealer
from services.application.sealing.verifier import SealVerifier

KeySource = Callable[[], SealKeys]


class Sealing:
    """What the CLI, the HTTP API and the schedule ask of seals.

    The key is read on first use, so a process that never seals nor verifies needs none.
    """

    def __init__(self, log: EventLog, store: SealStore, keys: KeySource, clock: Clock) -> None:
        self._log = log
        self.store = store
        self._keys = functools.cache(keys)
        self._clock = clock

    @property
    def keys(self) -> SealKeys:
        """The signing key and the retired public keys."""
        return self._keys()

    async def seal(
        self, tenant: str, trigger: str = ON_DEMAND, only_if_grown: bool = False
    ) -> SealedTree | None:
        """Seal every event of ``tenant`` stored so far (None: nothing new to seal)."""
        sealer = Sealer(self._log, self.store, self.keys, self._clock)
        return await sealer.seal(tenant, trigger, only_if_grown)

    async def seals(self, tenant: str) -> list[Seal]:
        """The tenant's readable seals, oldest first."""
        return [s.seal for s in await self.store.seals(tenant) if s.seal is not None]

    async def seal_by_id(self, tenant: str, seal_id: str) -> Seal | None:
        """One of the tenant's seals, by its id."""
        return next((s for s in await self.seals(tenant) if s.seal_id == seal_id), None)

    async def verify_against(self, tenant: str, seal: Seal) -> SealCheck:
        """Today's log checked against a seal the caller holds."""
        return await SealVerifier(self._log, self.store, self.keys).against(tenant, seal)

    async def verify_stored(self, tenant: str) -> SealChainCheck:
        """The stored seals checked in order, and today's log against the latest."""
        return await SealVerifier(self._log, self.store, self.keys).stored_chain(tenant)

    async def prove(self, tenant: str, event_id: str) -> InclusionProof:
        """An inclusion proof of one event in the latest seal covering it."""
        return await Prover(self._log, self.store).prove(tenant, event_id)

    async def latest_seal_times(self) -> dict[str, datetime]:
        """Per tenant, when its latest seal was made (a seal-age gauge reads this)."""
        return await self.store.latest_times()

    async def tenants(self) -> list[str]:
        """Every tenant with events in the log (from the stream's subject counts)."""
        return await self._log.tenants()
