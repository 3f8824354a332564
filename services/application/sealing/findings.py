"""What a check of the log against a seal (or of the stored seals) found."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

SealProblem = Literal[
    "signature",  # the seal's signature does not verify
    "unknown_key",  # signed by a key this deployment never listed
    "other_tenant",  # the seal is another tenant's
    "unreadable",  # a stored message (event or seal) cannot be read
    "dropped",  # a sealed event is no longer in the log
    "inserted",  # an event stands where none was sealed
    "reordered",  # sealed events stand in another order
    "rewritten",  # the event at a sealed position is not the sealed one
    "differs",  # not an extension of the sealed tree; the position cannot be named
    "chain",  # the stored seals do not follow one another
]


class SealFinding(BaseModel):
    """One way the log or the seal chain fails; positions count the tenant's events from 0."""

    model_config = ConfigDict(frozen=True)

    problem: SealProblem
    detail: str
    position: int | None = None
    stream_sequence: int | None = None
    subject: str | None = None


class SealCheck(BaseModel):
    """The log checked against one seal: a consistency proof from the sealed tree to today's."""

    model_config = ConfigDict(frozen=True)

    tenant: str
    seal_id: str
    tree_size: int
    sealed_at: str
    log_size: int
    consistency_proof: tuple[str, ...]
    findings: tuple[SealFinding, ...]

    @property
    def ok(self) -> bool:
        """True when the sealed history stands unchanged at the head of today's log."""
        return not self.findings


class SealChainCheck(BaseModel):
    """The stored seals checked one after another, and today's log against the latest."""

    model_config = ConfigDict(frozen=True)

    tenant: str
    seals_checked: int
    findings: tuple[SealFinding, ...]
    against_latest: SealCheck | None

    @property
    def ok(self) -> bool:
        """True when every seal holds, follows its previous one, and the log extends them."""
        return not self.findings and (self.against_latest is None or self.against_latest.ok)
