"""The HTTP API assembled: its route groups, the 503 for a read side that does not answer,
and the projector's lag (FastAPI; OpenAPI at /openapi.json, docs at /docs)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from projections.consumer import ScanStalled
from projections.queries import ReadModels
from projections.views import ProjectionLag, TenantLag
from services.adapters.database import UNAVAILABLE_ERRORS
from services.adapters.telemetry.tracing import Tracing
from services.application.auditor import Auditor
from services.application.auth import Permission, Principal
from services.application.sealing.service import Sealing
from services.domain.replies import unavailable
from services.entrypoints.http.audit import audit_router
from services.entrypoints.http.auth import Gate
from services.entrypoints.http.errors import install_error_shape
from services.entrypoints.http.openapi import refusals, whole_document
from services.entrypoints.http.reads import reads_router
from services.entrypoints.http.seals import seal_key_router, seals_router
from services.entrypoints.http.writes import WriteGateway, write_router


@dataclass(frozen=True)
class Lags:
    """The projector's lag: stream-wide (with a tenant's parking), and one tenant's own."""

    whole: Callable[[str], Awaitable[ProjectionLag]]
    tenant: Callable[[str], Awaitable[TenantLag]]


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
    lag: Lags,
    gate: Gate,
    auditor: Auditor | None = None,
    writes: WriteGateway | None = None,
    sealing: Sealing | None = None,
    operations: Sequence[APIRouter] = (),
    tracing: Tracing | None = None,
) -> FastAPI:
    """The HTTP API over one set of read models, with the auditor's, the write and the
    operations routes if given; every route but the docs and the operations routes (health,
    metrics) needs a token (see services/auth.py). With a tracer provider in ``tracing``,
    each request is a span (FastAPI's instrumentation)."""
    app = FastAPI(
        title="okr-ledger query API",
        version="1",
        description="Scores, the cascade, check-in history and the KR-adjustment audit, "
        "projected from the goal event log.",
    )
    install_error_shape(app)
    # A scan the server stopped feeding (damaged messages are reported, not raised).
    for error in (*UNAVAILABLE_ERRORS, ScanStalled):
        app.add_exception_handler(error, _unavailable)
    app.openapi = whole_document(app)  # type: ignore[method-assign]

    admitted = gate.any_role()  # a default value: evaluated here, unlike an annotation

    @app.get(
        "/projections/lag",
        tags=["operations"],
        response_model=TenantLag | ProjectionLag,
        responses=refusals(401, 503),
    )
    async def projection_lag(principal: Principal = admitted) -> TenantLag | ProjectionLag:
        """For a tenant's token: whether its events are all applied, and whether it is
        parked (an event its read models could not take). For an operator's token: stream
        head minus the checkpoint, and how many tenants are parked."""
        if principal.may(Permission.OPERATE):
            return await lag.whole(principal.tenant)
        return await lag.tenant(principal.tenant)

    app.include_router(reads_router(models, gate))
    if auditor is not None:
        app.include_router(audit_router(auditor), dependencies=[gate.permit(Permission.AUDIT)])
    if sealing is not None:
        auditors = [gate.permit(Permission.AUDIT)]
        app.include_router(seals_router(sealing), dependencies=auditors)
        app.include_router(seal_key_router(sealing), dependencies=auditors)
    if writes is not None:
        app.include_router(write_router(writes, gate))
    for router in operations:
        app.include_router(router)
    if tracing is not None and tracing.provider is not None:
        FastAPIInstrumentor.instrument_app(app, tracer_provider=tracing.provider)
    return app
