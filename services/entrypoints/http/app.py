"""The HTTP query API over the read models (FastAPI; OpenAPI at /openapi.json, docs at /docs)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, FastAPI, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse

from events.subjects import TOKEN_PATTERN
from projections.queries import ReadModels
from projections.read_models import adjustments as kr_adjustments  # a route's name too
from projections.read_models import progress
from projections.read_models.adjustments import AdjustmentView
from projections.read_models.progress import ProgressView
from projections.views import CascadeNode, GoalScore, PathStep, ProjectionLag
from services.adapters.database import UNAVAILABLE_ERRORS
from services.application.auditor import Auditor
from services.application.auth import Permission, Principal
from services.domain.replies import unavailable
from services.entrypoints.http.audit import audit_router
from services.entrypoints.http.auth import Gate
from services.entrypoints.http.params import ActorQuery, TenantId, check_as_of
from services.entrypoints.http.writes import WriteGateway, write_router

GoalId = Annotated[str, Path(pattern=TOKEN_PATTERN)]
GoalType = Annotated[Literal["objective", "smart_goal"], Path()]
AsOf = Annotated[
    datetime | None,
    Query(description="instant the pace is judged at (ISO 8601 with zone); default now"),
]
T = TypeVar("T")
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


def _instant(as_of: datetime | None) -> datetime:
    check_as_of(as_of)
    return as_of or datetime.now(UTC)


def _found(value: T | None, what: str) -> T:
    if value is None:
        raise HTTPException(404, f"{what} not found")
    return value


def create_query_app(
    models: ReadModels,
    lag: LagSource,
    gate: Gate,
    auditor: Auditor | None = None,
    writes: WriteGateway | None = None,
) -> FastAPI:
    """The HTTP API over one set of read models, with the auditor's and the write routes
    if given; every route but the docs needs a token (see services/auth.py)."""
    app = FastAPI(
        title="okr-ledger query API",
        version="1",
        description="Scores, the cascade, check-in history and the KR-adjustment audit, "
        "projected from the goal event log.",
    )
    for error in UNAVAILABLE_ERRORS:
        app.add_exception_handler(error, _unavailable)

    reads = APIRouter(dependencies=[gate.permit(Permission.READ)], tags=["read models"])

    @reads.get("/tenants/{tenant}/goals/{goal_type}/{goal_id}/score")
    async def goal_score(
        tenant: TenantId, goal_type: GoalType, goal_id: GoalId, as_of: AsOf = None
    ) -> GoalScore:
        """A goal's score, its key results, confidence, pace and colour band."""
        found = await models.goal_score(tenant, goal_type, goal_id, _instant(as_of))
        return _found(found, f"{goal_type} {goal_id}")

    @reads.get("/tenants/{tenant}/cycles/{cycle_id}/scores")
    async def cycle_scores(
        tenant: TenantId,
        cycle_id: Annotated[str, Path(pattern=TOKEN_PATTERN)],
        as_of: AsOf = None,
    ) -> list[GoalScore]:
        """Every goal of a cycle with its score."""
        return await models.cycle_scores(tenant, cycle_id, _instant(as_of))

    @reads.get("/tenants/{tenant}/cascade/{goal_type}/{goal_id}")
    async def subtree(
        tenant: TenantId, goal_type: GoalType, goal_id: GoalId, as_of: AsOf = None
    ) -> CascadeNode:
        """The goal and everything aligned under it, with rolled-up scores."""
        found = await models.subtree(tenant, goal_type, goal_id, _instant(as_of))
        return _found(found, f"{goal_type} {goal_id}")

    @reads.get("/tenants/{tenant}/cascade/{goal_type}/{goal_id}/path")
    async def path_to_top(tenant: TenantId, goal_type: GoalType, goal_id: GoalId) -> list[PathStep]:
        """The way from the goal up to the top of the cascade."""
        steps = await models.path_to_top(tenant, goal_type, goal_id)
        return _found(steps or None, f"{goal_type} {goal_id}")

    @reads.get("/tenants/{tenant}/cycles/{cycle_id}/cascade")
    async def cascade(
        tenant: TenantId,
        cycle_id: Annotated[str, Path(pattern=TOKEN_PATTERN)],
        as_of: AsOf = None,
    ) -> list[CascadeNode]:
        """The whole cascade of a cycle: one tree per company-level objective."""
        instant = _instant(as_of)
        tops = [
            g for g in await models.cycle_scores(tenant, cycle_id, instant) if g.level == "company"
        ]
        trees = [await models.subtree(tenant, g.goal_type, g.goal_id, instant) for g in tops]
        return [t for t in trees if t is not None]

    @reads.get("/tenants/{tenant}/cycles/{cycle_id}/unaligned")
    async def unaligned(
        tenant: TenantId,
        cycle_id: Annotated[str, Path(pattern=TOKEN_PATTERN)],
        as_of: AsOf = None,
    ) -> list[GoalScore]:
        """Team and individual goals aligned to nothing (personal SMART goals excepted)."""
        return await models.unaligned(tenant, cycle_id, _instant(as_of))

    @reads.get("/tenants/{tenant}/goals/{goal_type}/{goal_id}/check-ins")
    async def check_ins(
        tenant: TenantId, goal_type: GoalType, goal_id: GoalId
    ) -> list[ProgressView]:
        """A goal's check-ins and integration reports, in the order they apply."""
        if await models.goal_score(tenant, goal_type, goal_id, datetime.now(UTC)) is None:
            raise HTTPException(404, f"{goal_type} {goal_id} not found")
        return await models.read(progress.history, tenant, goal_type, goal_id)

    @reads.get("/tenants/{tenant}/audit/key-result-adjustments")
    async def adjustments(
        tenant: TenantId,
        cycle_id: Annotated[str | None, Query(pattern=TOKEN_PATTERN)] = None,
        objective_id: Annotated[str | None, Query(pattern=TOKEN_PATTERN)] = None,
        actor: ActorQuery = None,
    ) -> list[AdjustmentView]:
        """Every KR adjustment with who, when, why, old/new and both scores."""
        return await models.read(kr_adjustments.matching, tenant, cycle_id, objective_id, actor)

    admitted = gate.any_role()  # a default value: evaluated here, unlike an annotation

    @app.get("/projections/lag", tags=["operations"])
    async def projection_lag(principal: Principal = admitted) -> ProjectionLag:
        """Stream head minus the read models' checkpoint; whether the caller's tenant is
        parked (an event its read models could not take), and how many tenants are."""
        return await lag(principal.tenant)

    app.include_router(reads)
    if auditor is not None:
        app.include_router(audit_router(auditor), dependencies=[gate.permit(Permission.AUDIT)])
    if writes is not None:
        app.include_router(write_router(writes, gate))
    return app
