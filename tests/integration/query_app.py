"""The query API over read models projected from a test's stream, for HTTP route tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI
from nats.aio.client import Client

from events.scoring_policy import ScoringPolicy
from projections.queries import ReadModels
from projections.runner import PROJECTION_NAME, Projector
from projections.views import ProjectionLag, TenantLag
from services.application.auth import TokenAuthority
from services.bootstrap import CommandService, lag_of_tenant
from services.entrypoints.http.app import Lags, create_query_app
from services.entrypoints.http.auth import Gate


@asynccontextmanager
async def projected_query_app(
    nats_client: Client,
    service: CommandService,
    database_url: str,
    pg_schema: str,
    authority: TokenAuthority,
) -> AsyncIterator[tuple[FastAPI, Projector]]:
    """Catch a projector up on the stream into ``pg_schema``, then the query app over it
    (and the projector, to catch up again after more commands)."""
    conn = await asyncpg.connect(database_url)
    pool = None
    try:
        projector = Projector(nats_client, conn, service.stream_name, pg_schema, ScoringPolicy())
        await projector.catch_up()
        pool = await asyncpg.create_pool(
            database_url, min_size=1, max_size=2, server_settings={"search_path": pg_schema}
        )
        models = ReadModels(pool, ScoringPolicy())

        async def lag(tenant: str) -> ProjectionLag:
            head = (await projector.stream_info()).state.last_seq
            return await models.lag(PROJECTION_NAME, head, tenant)

        async def own_lag(tenant: str) -> TenantLag:
            return await lag_of_tenant(
                nats_client, service.stream_name, service.subjects, await lag(tenant), tenant
            )

        yield create_query_app(models, Lags(lag, own_lag), Gate(authority)), projector
    finally:
        if pool is not None:
            await pool.close()
        await conn.close()
