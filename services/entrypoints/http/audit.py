"""HTTP endpoints for auditors: a cycle's report as of an instant and as known at another,
verification, consistency."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from events.subjects import TOKEN_PATTERN
from projections.audit.axes import Basis, TimeAxes
from projections.audit.build import UnknownCycle
from projections.audit.check import ConsistencyCheck
from projections.audit.render import to_html, to_markdown
from projections.audit.report import AuditReport
from projections.audit.verify import Verification
from services.application.auditor import Auditor
from services.entrypoints.http.openapi import AUTHENTICATED, refusals
from services.entrypoints.http.params import InstantText, TenantId

AsOf = Annotated[
    InstantText | None,
    Query(
        description="valid time: the facts that applied by then (RFC 3339 with zone, "
        "'+' sent as %2B, or Z); default now"
    ),
]
KnownAt = Annotated[
    InstantText | None,
    Query(description="transaction time: as the service had recorded them by then; default now"),
]


def _axes(
    as_of: datetime | None, known_at: datetime | None, basis: Basis | None = None
) -> TimeAxes:
    try:
        # Over HTTP the older alias yields to known_at when both are sent.
        alias = basis if known_at is None else None
        return TimeAxes.asked(datetime.now(UTC), as_of, known_at, alias)
    except ValueError as refused:
        raise HTTPException(422, str(refused)) from None


def audit_router(auditor: Auditor) -> APIRouter:
    """Routes that replay into throw-away schemas; the live models are only read."""
    router = APIRouter(
        prefix="/tenants/{tenant}/audit", tags=["audit"], responses=refusals(*AUTHENTICATED)
    )

    @router.get(
        "/cycles/{cycle_id}/report",
        response_model=None,
        responses={
            200: {
                "model": AuditReport,
                "description": "the report as JSON, Markdown or HTML (``format``)",
                "content": {"text/markdown": {}, "text/html": {}},
            },
            **refusals(404),
        },
    )
    async def report(
        tenant: TenantId,
        cycle_id: Annotated[str, Path(pattern=TOKEN_PATTERN)],
        as_of: AsOf = None,
        known_at: KnownAt = None,
        basis: Annotated[
            Basis | None,
            Query(
                description="older alias of known_at (ignored when known_at is sent): "
                "recorded = known at as_of, occurred = known now"
            ),
        ] = None,
        format: Literal["json", "markdown", "html"] = "json",
    ) -> Response:
        """The cycle as the event log says it stood at ``as_of``, as known at ``known_at``."""
        axes = _axes(as_of, known_at, basis)
        try:
            built = await auditor.report(tenant, cycle_id, axes)
        except UnknownCycle as unknown:
            raise HTTPException(404, str(unknown)) from None
        if not built.goals:
            raise HTTPException(
                404,
                f"no goals of tenant {tenant} in cycle {cycle_id} valid as of {axes.as_of} "
                f"and known at {axes.known_at}",
            )
        if format == "markdown":
            return PlainTextResponse(to_markdown(built), media_type="text/markdown")
        if format == "html":
            return HTMLResponse(to_html(built))
        return Response(built.model_dump_json(), media_type="application/json")

    @router.get("/verify")
    async def verify(tenant: TenantId) -> Verification:
        """Walk the hash chains of the tenant's events; ``findings`` lists what breaks."""
        return await auditor.verify(tenant)

    @router.get("/consistency")
    async def consistency(
        tenant: TenantId, as_of: AsOf = None, known_at: KnownAt = None
    ) -> ConsistencyCheck:
        """The live answers at ``as_of`` against a replay known at ``known_at``, goal by
        goal and field by field (``differences`` empty: consistent)."""
        return await auditor.check(tenant, _axes(as_of, known_at))

    return router
