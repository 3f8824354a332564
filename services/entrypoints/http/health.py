"""``/healthz`` (the process answers) and ``/readyz`` (every check named; 503 if one fails).

No token: a container engine or a load balancer asks them. They say no tenant's name.
"""

from __future__ import annotations

import pydantic
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from services.application.readiness import ReadinessProbe

NOT_READY = 503


class CheckView(pydantic.BaseModel):
    """One readiness check's finding."""

    ok: bool
    detail: str


class Readiness(pydantic.BaseModel):
    """Whether the instance is ready, and what each check saw."""

    ready: bool
    checks: dict[str, CheckView] = pydantic.Field(
        description="nats, streams, postgres, projector_lag, parked_tenants"
    )


class Liveness(pydantic.BaseModel):
    """The process answers."""

    alive: bool = True


def health_router(probe: ReadinessProbe) -> APIRouter:
    """The liveness and readiness routes."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> Liveness:
        """200 while the process answers HTTP (it checks nothing else)."""
        return Liveness()

    @router.get("/readyz", response_model=Readiness, responses={NOT_READY: {"model": Readiness}})
    async def readyz() -> JSONResponse:
        """200 when NATS is connected, the streams are present and fit, PostgreSQL answers
        within its timeout, the projector lags at most OKR_READY_MAX_LAG events and no
        tenant is parked; else 503. Each check is named in the body."""
        checks = await probe.checks()
        body = Readiness(
            ready=all(c.ok for c in checks),
            checks={c.name: CheckView(ok=c.ok, detail=c.detail) for c in checks},
        )
        return JSONResponse(body.model_dump(), status_code=200 if body.ready else NOT_READY)

    return router
