"""The HTTP read routes: scores, the cascade, check-in history and the KR-adjustment log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse

from events.subjects import TOKEN_PATTERN
from projections.queries import ReadModels
from projections.read_models import adjustments as kr_adjustments  # a route's name too
from projections.read_models import hygiene, progress
from projections.read_models.adjustments import AdjustmentView
from projections.read_models.cascade import CascadePage
from projections.read_models.cascade_cursor import Cursor, CursorError, decode
from projections.read_models.hygiene import HygieneReport
from projections.read_models.progress import ProgressView
from projections.read_models.scoring_policies import PolicyInForce
from projections.views import CascadeNode, GoalScore, PathStep
from services.application.auth import Permission
from services.entrypoints.http.auth import Gate
from services.entrypoints.http.openapi import AUTHENTICATED, refusals
from services.entrypoints.http.params import (
    ActorQuery,
    CascadeCursor,
    CascadeDepth,
    CascadeLimit,
    InstantText,
    TenantId,
)

GoalId = Annotated[str, Path(pattern=TOKEN_PATTERN)]
GoalType = Annotated[Literal["objective", "smart_goal"], Path()]
AsOf = Annotated[
    InstantText | None,
    Query(description="instant the pace is judged at (ISO 8601 with zone); default now"),
]
T = TypeVar("T")
NDJSON = "application/x-ndjson"
_NDJSON: dict[str, Any] = {
    "description": "one CascadeEntry as JSON a line, in depth-first pre-order",
    "content": {NDJSON: {"schema": {"$ref": "#/components/schemas/CascadeEntry"}}},
}


def _instant(as_of: datetime | None) -> datetime:
    return as_of or datetime.now(UTC)


def _found(value: T | None, what: str) -> T:
    if value is None:
        raise HTTPException(404, f"{what} not found")
    return value


def _continues(text: str, tenant: str, root: tuple[str, str], depth: int | None) -> Cursor:
    """The cursor, or a 422 naming it unless it was given for this tenant, goal and depth."""
    try:
        cursor = decode(text)
        cursor.continues(tenant, root, depth)
        return cursor
    except CursorError as exc:
        error = {"loc": ("query", "cursor"), "type": "cursor_mismatch", "msg": str(exc)}
        raise RequestValidationError([error]) from exc


def reads_router(models: ReadModels, gate: Gate) -> APIRouter:
    """The read routes over ``models``; each needs a token with the read permission."""
    reads = APIRouter(
        dependencies=[gate.permit(Permission.READ)],
        tags=["read models"],
        responses=refusals(*AUTHENTICATED),
    )
    goal_route = refusals(404)

    @reads.get("/tenants/{tenant}/goals/{goal_type}/{goal_id}/score", responses=goal_route)
    async def goal_score(
        tenant: TenantId, goal_type: GoalType, goal_id: GoalId, as_of: AsOf = None
    ) -> GoalScore:
        """A goal's score, its key results, confidence, pace and colour band."""
        found = await models.goal_score(tenant, goal_type, goal_id, _instant(as_of))
        return _found(found, f"{goal_type} {goal_id}")

    @reads.get("/tenants/{tenant}/scoring-policy")
    async def scoring_policy(
        tenant: TenantId,
        as_of: Annotated[
            InstantText | None,
            Query(description="instant the policy was in force at (RFC 3339 with zone); now"),
        ] = None,
    ) -> PolicyInForce:
        """The scoring policy in force at ``as_of``: the tenant's own, else the default."""
        return await models.policy_in_force(tenant, _instant(as_of))

    @reads.get("/tenants/{tenant}/cycles/{cycle_id}/scores")
    async def cycle_scores(
        tenant: TenantId,
        cycle_id: Annotated[str, Path(pattern=TOKEN_PATTERN)],
        as_of: AsOf = None,
    ) -> list[GoalScore]:
        """Every goal of a cycle with its score."""
        return await models.cycle_scores(tenant, cycle_id, _instant(as_of))

    @reads.get("/tenants/{tenant}/cascade/{goal_type}/{goal_id}", responses=goal_route)
    async def subtree(
        tenant: TenantId, goal_type: GoalType, goal_id: GoalId, as_of: AsOf = None
    ) -> CascadeNode:
        """The goal and everything aligned under it, with rolled-up scores."""
        found = await models.subtree(tenant, goal_type, goal_id, _instant(as_of))
        return _found(found, f"{goal_type} {goal_id}")

    @reads.get("/tenants/{tenant}/cascade/{goal_type}/{goal_id}/page", responses=goal_route)
    async def cascade_page(
        tenant: TenantId,
        goal_type: GoalType,
        goal_id: GoalId,
        limit: CascadeLimit = 100,
        depth: CascadeDepth = None,
        cursor: CascadeCursor = None,
        as_of: AsOf = None,
    ) -> CascadePage:
        """A page of the goal's subtree in depth-first pre-order, each node flat with its
        depth, parent and rolled-up score (the full tree's number); ``next`` continues it."""
        after = None if cursor is None else _continues(cursor, tenant, (goal_type, goal_id), depth)
        found = await models.cascade.page(
            tenant, (goal_type, goal_id), _instant(as_of), limit, depth, after
        )
        return _found(found, f"{goal_type} {goal_id}")

    @reads.get(
        "/tenants/{tenant}/cascade/{goal_type}/{goal_id}/stream",
        response_class=StreamingResponse,
        responses={**goal_route, 200: _NDJSON},
    )
    async def cascade_stream(
        tenant: TenantId,
        goal_type: GoalType,
        goal_id: GoalId,
        depth: CascadeDepth = None,
        as_of: AsOf = None,
    ) -> StreamingResponse:
        """The goal's whole subtree as NDJSON, one node a line in the page's order and
        shape, sent as it is built."""
        root = (goal_type, goal_id)
        _found(await models.cascade.exists(tenant, root) or None, f"{goal_type} {goal_id}")
        lines = models.cascade.stream(tenant, root, _instant(as_of), depth)
        body = (node.model_dump_json().encode() + b"\n" async for node in lines)
        return StreamingResponse(body, media_type=NDJSON)

    @reads.get("/tenants/{tenant}/cascade/{goal_type}/{goal_id}/path", responses=goal_route)
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
        return await models.cycle_cascade(tenant, cycle_id, _instant(as_of))

    @reads.get("/tenants/{tenant}/cycles/{cycle_id}/unaligned")
    async def unaligned(
        tenant: TenantId,
        cycle_id: Annotated[str, Path(pattern=TOKEN_PATTERN)],
        as_of: AsOf = None,
    ) -> list[GoalScore]:
        """Team and individual goals aligned to nothing (personal SMART goals excepted)."""
        return await models.unaligned(tenant, cycle_id, _instant(as_of))

    @reads.get("/tenants/{tenant}/cycles/{cycle_id}/hygiene")
    async def cycle_hygiene(
        tenant: TenantId,
        cycle_id: Annotated[str, Path(pattern=TOKEN_PATTERN)],
        as_of: AsOf = None,
    ) -> HygieneReport:
        """The goal-hygiene findings of a cycle per owner and team (docs/hygiene.md)."""
        return await models.read(hygiene.report, tenant, cycle_id, _instant(as_of))

    @reads.get("/tenants/{tenant}/goals/{goal_type}/{goal_id}/check-ins", responses=goal_route)
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

    return reads
