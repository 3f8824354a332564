"""``/metrics``: the Prometheus text format, the projector's lag refreshed at each scrape."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from projections.views import ProjectionLag
from services.adapters.telemetry.metrics import Metrics

log = logging.getLogger(__name__)


async def _seal_age(metrics: Metrics, seal_times: SealTimes, timeout_s: float) -> None:
    # The stalest tenant's newest seal: the figure an alert on "sealing stopped" needs.
    try:
        async with asyncio.timeout(timeout_s):
            newest = await seal_times()
    except Exception as exc:  # NATS is away: the gauge keeps its last value
        log.debug("seal times not refreshed for /metrics: %r", exc)
        return
    if newest:
        metrics.sealed((datetime.now(UTC) - min(newest.values())).total_seconds())


SealTimes = Callable[[], Awaitable[dict[str, datetime]]]  # per tenant, its newest seal


def metrics_router(
    metrics: Metrics,
    lag: Callable[[], Awaitable[ProjectionLag]],
    timeout_s: float,
    seal_times: SealTimes | None = None,
) -> APIRouter:
    """The scrape route (no token, no tenant names unless OKR_METRICS_TENANT_LABELS)."""
    router = APIRouter(tags=["operations"])

    @router.get(
        "/metrics",
        response_class=Response,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    async def scrape() -> Response:
        """Prometheus metrics: okr_* (commands, ingest, projector, dead letters) and
        the process's own."""
        try:
            async with asyncio.timeout(timeout_s):
                state = await lag()
        except Exception as exc:  # the database is away: the gauges keep their last value
            log.debug("projection state not refreshed for /metrics: %r", exc)
        else:
            metrics.projection_state(state.lag, state.parked_tenants)
        if seal_times is not None:
            await _seal_age(metrics, seal_times, timeout_s)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router
