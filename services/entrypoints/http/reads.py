"""The HTTP read routes: scores, the cascade, check-in history and the KR-adjustment log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, HTTPException, Path, Query

from events.subjects import TOKEN_PATTERN
from projections.queries import ReadModels
from projections.read_models import adjustments as kr_adjustments  # a route's name too
from projections.read_models import hygiene, progress
from projections.read_models.adjustments import AdjustmentView
from projections.read_models.hygiene import HygieneReport
from projections.read_models.progress import ProgressView
from projections.read_models.scoring_policies import PolicyInForce
from projections.views import CascadeNode, GoalScore, PathStep
from services.application.auth import Permission
from services.entrypoints.http.auth import Gate
from services.entrypoints.http.openapi import AUTHENTICATED, refusals
from services.entrypoints.http.params import ActorQuery, InstantText, TenantId

GoalId = Annotated[str, Path(pattern=TOKEN_PATTERN)]
GoalType = Annotated[Literal["objective", "smart_goal"], Path()]
AsOf = Annotated[
    InstantText | None,
    Query(description="instant the pace is judged at (ISO 8601 with zone); default now"),
]
T = TypeVar("T")


def _instant(as_of: datetime | None) -> datetime:
    return as_of or datetime.now(UTC)


def _found(value: T | None, what: str) -> T:
    if value is None:
        raise HTTPException(404, f"{what} not found")
    return value


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
