"""HTTP endpoints for auditors' seals: list, fetch, verify an uploaded one, inclusion proofs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Path
from pydantic import BaseModel, Field

from seals.seal import Seal, UnreadableSeal
from services.application.sealing.findings import SealChainCheck, SealCheck
from services.application.sealing.prover import CannotProve
from services.application.sealing.service import Sealing
from services.entrypoints.http.openapi import AUTHENTICATED, refusals
from services.entrypoints.http.params import TenantId

SealId = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the seal")]
MAX_COUNT = 2**53  # a JSON number any reader holds exactly


class SealDocument(BaseModel):
    """A seal file as an auditor keeps it (``okr audit seal --out``)."""

    tenant: str
    tree_size: int = Field(ge=0, le=MAX_COUNT)
    root: str = Field(pattern=r"^[0-9a-f]{64}$", description="hex SHA-256 tree root")
    last_sequence: int = Field(ge=0, le=MAX_COUNT)
    sealed_at: str
    trigger: str
    previous_seal: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None
    key_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    public_key: str = Field(pattern=r"^[0-9a-f]{64}$", description="hex raw Ed25519 key")
    signature: str = Field(pattern=r"^([0-9a-f]{128})?$", description="hex Ed25519 signature")
    format: Literal["okr-seal/1"]


EventId = Annotated[str, Path(pattern=r"^[0-9a-fA-F-]{1,64}$", description="the event id")]


def seal_key_router(sealing: Sealing) -> APIRouter:
    """The public key that signs seals (tenant-less: every tenant's seals use it)."""
    router = APIRouter(prefix="/audit", tags=["audit"], responses=refusals(401, 403, 503))

    @router.get("/seal-key")
    async def seal_key() -> dict[str, object]:
        """The Ed25519 public key (raw, hex) and its id; retired keys still verify old seals."""
        return sealing.keys.public()

    return router


def seals_router(sealing: Sealing) -> APIRouter:
    """A tenant's seals and proofs; nothing here changes the log or the seals."""
    router = APIRouter(
        prefix="/tenants/{tenant}/audit", tags=["audit"], responses=refusals(*AUTHENTICATED)
    )

    @router.get("/seals")
    async def list_seals(tenant: TenantId) -> list[dict[str, Any]]:
        """Every seal of the tenant, oldest first, each with its ``seal_id``."""
        return [{**s.to_dict(), "seal_id": s.seal_id} for s in await sealing.seals(tenant)]

    @router.get("/seals/{seal_id}", responses=refusals(404))
    async def fetch_seal(tenant: TenantId, seal_id: SealId) -> dict[str, Any]:
        """One seal, as an auditor keeps it."""
        seal = await sealing.seal_by_id(tenant, seal_id)
        if seal is None:
            raise HTTPException(404, f"tenant {tenant} has no seal {seal_id}")
        return seal.to_dict()

    @router.post("/seals/verify", responses=refusals(400))
    async def verify_seal(
        tenant: TenantId,
        seal: Annotated[SealDocument, Body(description="a seal file an auditor kept")],
    ) -> SealCheck:
        """Today's log against the uploaded seal: ``findings`` names the first difference."""
        try:
            held = Seal.from_dict(seal.model_dump())
        except UnreadableSeal as exc:
            raise HTTPException(422, str(exc)) from None
        return await sealing.verify_against(tenant, held)

    @router.get("/seals-chain")
    async def verify_stored(tenant: TenantId) -> SealChainCheck:
        """The stored seals checked in order, and today's log against the latest."""
        return await sealing.verify_stored(tenant)

    @router.get("/proofs/{event_id}", responses=refusals(404))
    async def proof(tenant: TenantId, event_id: EventId) -> dict[str, Any]:
        """The inclusion proof of one event in the latest seal covering it (offline-checkable)."""
        try:
            return (await sealing.prove(tenant, event_id)).to_dict()
        except CannotProve as exc:
            raise HTTPException(404, str(exc)) from None

    return router
