"""HTTP endpoints for auditors: a cycle's report as of an instant, verification, consistency."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field

from events.subjects import TOKEN_PATTERN
from projections.audit.build import UnknownCycle
from projections.audit.render import to_html, to_markdown
from projections.audit.report import AuditReport
from projections.audit.verify import Verification
from services.application.auditor import Auditor
from services.entrypoints.http.openapi import AUTHENTICATED, refusals
from services.entrypoints.http.params import InstantText, TenantId


class RowDifference(BaseModel):
    """A read-model row that differs between the live schema and a replay."""

    table: str
    key: list[Any] = Field(description="the row's primary key values")
    kind: str = Field(description="missing, extra or different")
    columns: list[str] = Field(description="the columns that differ (for kind different)")


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
        as_of: Annotated[
            InstantText | None, Query(description="ISO 8601 with zone; default now")
        ] = None,
        basis: Annotated[
            Literal["recorded", "occurred"],
            Query(description="recorded: what the system knew; occurred: what had happened"),
        ] = "recorded",
        format: Literal["json", "markdown", "html"] = "json",
    ) -> Response:
        """The cycle as the event log says it stood at ``as_of``."""
        try:
            built = await auditor.report(tenant, cycle_id, as_of or datetime.now(UTC), basis)
        except UnknownCycle as unknown:
            raise HTTPException(404, str(unknown)) from None
        if not built.goals:
            raise HTTPException(404, f"no goals of tenant {tenant} in cycle {cycle_id}")
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
    async def consistency(tenant: TenantId) -> list[RowDifference]:
        """Rows where the live read models differ from a replay to now (none: consistent)."""
        return [
            RowDifference(table=d.table, key=list(d.key), kind=d.kind, columns=list(d.columns))
            for d in await auditor.check_consistency(tenant)
        ]

    return router
