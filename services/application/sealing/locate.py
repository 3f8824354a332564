"""Names the first position where today's log leaves the sealed tree, and how."""

from __future__ import annotations

from seals.seal import Seal
from services.application.sealing.findings import SealFinding
from services.application.sealing.tenant_log import TenantLeaves


def first_difference(seal: Seal, sealed: list[bytes], today: TenantLeaves) -> SealFinding:
    """The first differing position, told from the store's copy of the sealed leaves.

    That copy is trusted only when it hashes to the seal's signed root; if it does not, it
    was changed as well and the position cannot be named (the root alone does not say it).
    """
    n, now = seal.tree_size, today.leaves
    if seal.tree_of(sealed) is None:
        return SealFinding(
            problem="differs",
            detail=f"today's {len(now)} events do not extend the sealed tree of {n}, and the "
            "store's copy of the sealed leaves does not hash to the seal's root (it was "
            "changed too), so the first differing position cannot be named",
        )
    position = next((i for i in range(n) if i >= len(now) or now[i] != sealed[i]), n)
    if position >= len(now):
        return SealFinding(
            problem="dropped",
            position=position,
            detail=f"the log holds {len(now)} of the {n} sealed events: from position "
            f"{position} on, the sealed events are gone",
        )
    where = {"position": position, "stream_sequence": today.sequences[position]}

    def at(i: int, leaves: list[bytes], leaf: bytes) -> bool:
        return i < len(leaves) and leaves[i] == leaf

    if at(position + 1, sealed, now[position]) and at(position + 1, now, sealed[position]):
        return SealFinding(
            problem="reordered",
            detail=f"the sealed events at positions {position} and {position + 1} stand in "
            "the other order",
            **where,
        )
    if at(position + 1, sealed, now[position]):
        return SealFinding(
            problem="dropped",
            detail=f"the sealed event at position {position} is gone: the event now there "
            f"was sealed at position {position + 1}",
            **where,
        )
    if at(position + 1, now, sealed[position]):
        return SealFinding(
            problem="inserted",
            detail=f"an event that was not sealed stands at position {position}, before "
            "the sealed one",
            **where,
        )
    return SealFinding(
        problem="rewritten",
        detail=f"the event at position {position} is not the sealed one: its subject, "
        "Okr-Hash or body was changed",
        **where,
    )
