"""The HTTP API assembled: its route groups, the 503 for a read side that does not answer,
and the projector's lag (FastAPI; OpenAPI at /openapi.json, docs at /docs)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from projections.consumer import ScanStalled
from projections.queries import ReadModels
from projections.views import ProjectionLag
from services.adapters.database import UNAVAILABLE_ERRORS
from services.application.auditor import Auditor
from services.application.auth import Permission, Principal
from services.application.sealing.service import Sealing
from services.domain.replies import unavailable
from services.entrypoints.http.audit import audit_router
from services.entrypoints.http.auth import Gate
from services.entrypoints.http.reads import reads_router
from services.entrypoints.http.seals import seal_key_router, seals_router
from services.entrypoints.http.writes import WriteGateway, write_router

LagSource = Callable[[str], Awaitable[ProjectionLag]]  # given the caller's tenant
RETRY_AFTER_S = 1
log = logging.getLogger(__name__)


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    """A database (or NATS) that does not answer in time: 503, retryable, never a hang."""
    log.warning("%s %s: read side unavailable: %r", request.method, request.url.path, exc)
    reply = unavailable(
        f"the read models did not answer in time ({type(exc).__name__}); retry shortly"
    )
    return JSONResponse(
        reply.model_dump(mode="json"),
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def create_query_app(
    models: ReadModels,
    lag: LagSource,
    gate: Gate,
    auditor: Auditor | None = None,
    writes: WriteGateway | None = None,
    sealing: Sealing | None = None,
) -> FastAPI:
    """The HTTP API over one set of read models, with the auditor's and the write routes
    if given; every route but the docs needs a token (see services/auth.py)."""
    app = FastAPI(
        title="okr-ledger query API",
        version="1",
        description="Scores, the cascade, check-in history and the KR-adjustment audit, "
        "projected from the goal event log.",
    )
    # A scan the server stopped feeding (damaged messages are reported, not raised).
    for error in (*UNAVAILABLE_ERRORS, ScanStalled):
        app.add_exception_handler(error, _unavailable)

    admitted = gate.any_role()  # a default value: evaluated here, unlike an annotation

    @app.get("/projections/lag", tags=["operations"])
    async def projection_lag(principal: Principal = admitted) -> ProjectionLag:
        """Stream head minus the read models' checkpoint; whether the caller's tenant is
        parked (an event its read models could not take), and how many tenants are."""
        return await lag(principal.tenant)

    app.include_router(reads_router(models, gate))
    if auditor is not None:
        app.include_router(audit_router(auditor), dependencies=[gate.permit(Permission.AUDIT)])
    if sealing is not None:
        auditors = [gate.permit(Permission.AUDIT)]
        app.include_router(seals_router(sealing), dependencies=auditors)
        app.include_router(seal_key_router(sealing), dependencies=auditors)
    if writes is not None:
        app.include_router(write_router(writes, gate))
    return app
