"""Checks today's log against a seal, and the stored seals against one another."""

from __future__ import annotations

from projections.consumer import EventLog
from seals.merkle import MerkleTree, verify_consistency
from seals.seal import Seal
from services.adapters.seal_key import SealKeys
from services.adapters.seal_store import SealStore
from services.application.sealing.findings import SealChainCheck, SealCheck, SealFinding
from services.application.sealing.locate import first_difference
from services.application.sealing.tenant_log import TenantLeaves, read_leaves


def _signature_findings(seal: Seal, keys: SealKeys, tenant: str) -> list[SealFinding]:
    found = []
    problem = seal.signature_problem()
    if problem:
        found.append(SealFinding(problem="signature", detail=problem))
    if seal.key_id not in keys.known():
        found.append(
            SealFinding(
                problem="unknown_key",
                detail=f"signed by key {seal.key_id}, which is neither this deployment's "
                "signing key nor one of OKR_SEAL_RETIRED_KEYS",
            )
        )
    if seal.tenant != tenant:
        found.append(
            SealFinding(problem="other_tenant", detail=f"the seal is tenant {seal.tenant}'s")
        )
    return found


def _unloadable(today: TenantLeaves) -> list[SealFinding]:
    return [
        SealFinding(
            problem="unreadable",
            stream_sequence=sequence,
            detail="the server cannot load this stored event (its checksum fails: the file "
            "was edited or damaged)",
        )
        for sequence in today.unloadable
    ]


class SealVerifier:
    """Reads the tenant's log once per check; the seal's own leaves only to name a position."""

    def __init__(self, log: EventLog, store: SealStore, keys: SealKeys) -> None:
        self._log = log
        self._store = store
        self._keys = keys

    async def against(
        self, tenant: str, seal: Seal, today: TenantLeaves | None = None
    ) -> SealCheck:
        """Is the sealed tree a prefix of today's? If not, the first position that differs."""
        findings = _signature_findings(seal, self._keys, tenant)
        today = today or await read_leaves(self._log, tenant)
        findings += _unloadable(today)
        tree = MerkleTree(today.leaves)
        proof: list[bytes] = []
        if tree.size >= seal.tree_size:
            proof = tree.consistency_proof(seal.tree_size)
            consistent = verify_consistency(
                seal.tree_size, tree.size, bytes.fromhex(seal.root), tree.root(), proof
            )
        else:
            consistent = False
        if not consistent:
            sealed = await self._store.leaves(tenant, seal.tree_size)
            findings.append(first_difference(seal, sealed, today))
        return SealCheck(
            tenant=tenant,
            seal_id=seal.seal_id,
            tree_size=seal.tree_size,
            sealed_at=seal.sealed_at,
            log_size=tree.size,
            consistency_proof=tuple(p.hex() for p in proof) if consistent else (),
            findings=tuple(findings),
        )

    async def stored_chain(self, tenant: str) -> SealChainCheck:
        """Each stored seal signed, naming the one before, extending it; then today's log."""
        stored = await self._store.seals(tenant)
        findings: list[SealFinding] = []
        seals: list[tuple[int, Seal]] = []
        for kept in stored:
            if kept.seal is None:
                detail = f"seal stream sequence {kept.sequence}: {kept.problem}"
                findings.append(SealFinding(problem="unreadable", detail=detail))
                continue
            findings += _signature_findings(kept.seal, self._keys, tenant)
            if seals:
                findings += _link_findings(kept.sequence, seals[-1][1], kept.seal)
            seals.append((kept.sequence, kept.seal))
        if not seals:
            return SealChainCheck(
                tenant=tenant, seals_checked=0, findings=tuple(findings), against_latest=None
            )
        latest = seals[-1][1]
        kept_tree = MerkleTree(await self._store.leaves(tenant, latest.tree_size))
        for sequence, seal in seals:
            if seal.tree_size > kept_tree.size:
                what = f"covers {seal.tree_size} events; {kept_tree.size} sealed leaves are kept"
                findings.append(_chain(sequence, what))
            elif seal.tree_size and kept_tree.subtree_root(0, seal.tree_size).hex() != seal.root:
                what = "is not a prefix of the latest: the kept leaves do not hash to its root"
                findings.append(_chain(sequence, what))
        return SealChainCheck(
            tenant=tenant,
            seals_checked=len(seals),
            findings=tuple(findings),
            against_latest=await self.against(tenant, latest),
        )


def _link_findings(sequence: int, before: Seal, seal: Seal) -> list[SealFinding]:
    found = []
    if seal.previous_seal != before.seal_id:
        what = f"names {seal.previous_seal} as previous, not {before.seal_id}"
        found.append(_chain(sequence, what))
    if seal.tree_size < before.tree_size:
        what = f"covers {seal.tree_size} events, fewer than the {before.tree_size} before it"
        found.append(_chain(sequence, what))
    return found


def _chain(sequence: int, what: str) -> SealFinding:
    return SealFinding(
        problem="chain", detail=f"the seal at seal stream sequence {sequence} {what}"
    )
