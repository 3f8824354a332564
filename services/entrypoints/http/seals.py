"""HTTP endpoints for auditors' seals: list, fetch, verify an uploaded one, inclusion proofs."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.convertors import Convertor, register_url_convertor

from events.subjects import TOKEN_PATTERN
from seals.seal import KEY_ID_HEX_CHARS, SEAL_FORMAT, Seal, UnreadableSeal
from services.application.sealing.findings import SealChainCheck, SealCheck
from services.application.sealing.prover import CannotProve
from services.application.sealing.service import Sealing
from services.application.untrusted_json import UnreadableJson, read_json
from services.entrypoints.http.bodies import body_schema, read_limited
from services.entrypoints.http.openapi import AUTHENTICATED, refusals
from services.entrypoints.http.params import TenantId

SealId = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the seal")]
EventId = Annotated[str, Path(pattern=r"^[0-9a-fA-F-]{1,64}$", description="the event id")]
_HEX_64 = r"^[0-9a-f]{64}$"
_ASCII = r"^[ -~]*$"  # seals write times and triggers in printable ASCII
MAX_TREE_SIZE = 2**53  # more events than any log holds, and exact in a JSON number
MAX_SEAL_BYTES = 16 * 1024  # a seal file is well under 1 KiB


class _SealIdPath(Convertor[str]):
    """A seal id in a route's path: only 64 hex digits match, so ``/seals/verify`` is never
    taken for a seal named "verify" (a GET there answered 422, not 405)."""

    regex = "[0-9a-f]{64}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("seal_id", _SealIdPath())


class SealDocument(BaseModel):
    """A seal file as ``okr audit seal`` or ``GET .../audit/seals/{seal_id}`` gave it."""

    # Nothing beyond the seal's fields: an unknown key is refused by name (422) instead of
    # being carried, unread, through the edge's size and number checks.
    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(pattern=TOKEN_PATTERN)
    tree_size: int = Field(ge=0, le=MAX_TREE_SIZE)
    root: str = Field(pattern=_HEX_64, description="the Merkle root, hex")
    last_sequence: int = Field(ge=0, le=MAX_TREE_SIZE)
    sealed_at: str = Field(max_length=64, pattern=_ASCII)
    trigger: str = Field(max_length=300, pattern=_ASCII)
    previous_seal: str | None = Field(default=None, pattern=_HEX_64)
    key_id: str = Field(pattern=rf"^[0-9a-f]{{{KEY_ID_HEX_CHARS}}}$")
    public_key: str = Field(pattern=_HEX_64, description="raw Ed25519, hex")
    signature: str = Field(pattern=r"^([0-9a-f]{128})?$", description="Ed25519, hex")
    format: str = Field(pattern=f"^{re.escape(SEAL_FORMAT)}$", description="the seal format")
    seal_id: str | None = Field(
        default=None, pattern=_HEX_64, description="as the seal list gives it; not signed, ignored"
    )

    @field_validator("tree_size", "last_sequence", mode="before")
    @classmethod
    def _not_a_boolean(cls, value: object) -> object:
        """A count is a JSON number: ``false`` is not 0 here, whatever Python says."""
        if isinstance(value, bool):
            raise ValueError("a count must be a number, not true or false")
        return value


def seal_key_router(sealing: Sealing) -> APIRouter:
    """The public key that signs seals (tenant-less: every tenant's seals use it)."""
    router = APIRouter(prefix="/audit", tags=["audit"], responses=refusals(*AUTHENTICATED))

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

    @router.get("/seals/{seal_id:seal_id}", responses=refusals(404))
    async def fetch_seal(tenant: TenantId, seal_id: SealId) -> dict[str, Any]:
        """One seal, as an auditor keeps it."""
        seal = await sealing.seal_by_id(tenant, seal_id)
        if seal is None:
            raise HTTPException(404, f"tenant {tenant} has no seal {seal_id}")
        return seal.to_dict()

    @router.post(
        "/seals/verify",
        response_model=SealCheck,
        responses=refusals(400, 413),
        openapi_extra=body_schema(SealDocument),
    )
    async def verify_seal(tenant: TenantId, request: Request) -> SealCheck:
        """Today's log against the uploaded seal (a seal file an auditor kept): ``findings``
        names the first difference."""
        return await sealing.verify_against(tenant, await _uploaded_seal(request))

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


async def _uploaded_seal(request: Request) -> Seal:
    """The seal in the request body; 413 over the limit, 400 not JSON, 422 not a seal."""
    body, size = await read_limited(request, MAX_SEAL_BYTES)
    if size > MAX_SEAL_BYTES:
        raise HTTPException(413, f"the body is over {MAX_SEAL_BYTES} bytes")
    try:
        document = SealDocument.model_validate(read_json(body))
        return Seal.from_dict(document.model_dump(exclude={"seal_id"}))
    except UnreadableJson as exc:
        raise HTTPException(400, str(exc)) from None
    except (ValidationError, UnreadableSeal) as exc:
        raise HTTPException(422, f"not a seal: {exc}") from None
