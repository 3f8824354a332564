"""Query latency over HTTP against the read models of a projected organisation."""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
from nats.aio.client import Client

from benchmarks.common import Row, fill, new_stream, percentile
from benchmarks.workload import COMPANY_OBJECTIVE, CYCLE, Organisation
from events.scoring_policy import ScoringPolicy
from projections.queries import ReadModels
from services.application.auth import Role, TokenAuthority
from services.bootstrap import read_side
from services.settings import DatabaseTimeouts, Settings

TENANT = "bench"
# The read models the queries touch (goals, key results, cascade, adjustments) are all
# there after the first weeks; the later weeks only lengthen the check-in history.
WEEKS = 3
PAGE = 100  # nodes a cascade page holds
CASCADE = f"/cascade/objective/{COMPANY_OBJECTIVE}"


def raw_page_sql(schema: str) -> str:
    """The first page of the company's subtree in pre-order, in one recursive query."""
    return f"""WITH RECURSIVE tree(goal_type, goal_id, path) AS (
            SELECT 'objective'::text, '{COMPANY_OBJECTIVE}'::text, ARRAY[]::text[]
        UNION ALL
            SELECT a.child_type, a.child_id,
                   t.path || ARRAY[a.child_type, a.child_id, a.parent_key_result_id]
            FROM tree t JOIN "{schema}".alignments a ON a.tenant_id = $1
            AND a.parent_objective_id = t.goal_id WHERE t.goal_type = 'objective')
        SELECT g.* FROM tree t JOIN "{schema}".goals g ON g.tenant_id = $1
        AND g.goal_type = t.goal_type AND g.goal_id = t.goal_id
        ORDER BY t.path COLLATE "C" LIMIT $2"""


async def _page_cursors(http: httpx.AsyncClient, limit: int) -> list[dict[str, str]]:
    """The query of every page of the company's subtree, found by walking it once."""
    cursors: list[dict[str, str]] = [{}]
    while True:
        reply = await http.get(f"{CASCADE}/page", params={"limit": limit, **cursors[-1]})
        reply.raise_for_status()
        following = reply.json()["next"]
        if following is None:
            return cursors
        cursors.append({"cursor": following})


async def _cold_pages(database_url: str, schema: str, requests: int) -> list[float]:
    """The first page with no outline kept: what a page costs right after the tree
    changed (the read models' own call, without HTTP)."""
    pool = await asyncpg.create_pool(
        database_url, min_size=1, max_size=1, server_settings={"search_path": schema}
    )
    try:
        cold = ReadModels(pool, ScoringPolicy(), kept_cascade_nodes=0).cascade
        root, at = ("objective", COMPANY_OBJECTIVE), datetime.now(UTC)
        return await _latencies(max(3, requests // 10), lambda: cold.page(TENANT, root, at, PAGE))
    finally:
        await pool.close()


async def _latencies(count: int, call: Callable[[], Awaitable[Any]]) -> list[float]:
    seconds = []
    for _ in range(count):
        started = time.perf_counter()
        await call()
        seconds.append(time.perf_counter() - started)
    return seconds


def _summary(name: str, seconds: list[float]) -> Row:
    return {
        f"{name}_p50_ms": 1000 * percentile(seconds, 0.5),
        f"{name}_p99_ms": 1000 * percentile(seconds, 0.99),
    }


async def query_latencies(nc: Client, database_url: str, goals: int, requests: int) -> Row:
    """p50/p99 of a goal's score, the company's cascade subtree and the cycle's KR
    adjustment log, each asked ``requests`` times (the subtree a tenth as often)."""
    subjects, stream = await new_stream(nc)
    organisation = Organisation(TENANT, goals=goals)
    events = await fill(nc, subjects, organisation.quarter(WEEKS))
    schema = f"bench_q_{subjects.root}"
    secret = secrets.token_hex(32)
    settings = Settings(
        stream_name=stream,
        subject_root=subjects.root,
        db_schema=schema,
        http_port=0,
        auth_secret=secret,
        # The whole subtree of 10k goals (the figure the pages are read against) runs near
        # the service's 5 s bound on a statement; measured here, it must not be cut short.
        db_timeouts=DatabaseTimeouts(query_s=120.0),
    )
    # An auditor's token: it may read scores, the cascade and the adjustment log.
    token = TokenAuthority(secret).issue(TENANT, Role.AUDITOR, "bench", datetime.now(UTC))
    objectives = [g.goal_id for g in organisation.goals_of("objective")]
    rng = random.Random(3)
    row: Row = {"goals": float(organisation.goals), "events": float(events)}
    conn = await asyncpg.connect(database_url)
    try:
        async with read_side(settings, nc, database_url) as side:
            await side.wait_until_current(timeout_s=3600)
            base = f"{side.http_url}/tenants/{TENANT}"
            async with httpx.AsyncClient(
                base_url=base, timeout=120, headers={"Authorization": f"Bearer {token}"}
            ) as http:

                async def get(path: str, **params: str) -> None:
                    response = await http.get(path, params=params)
                    response.raise_for_status()

                async def score() -> None:
                    await get(f"/goals/objective/{rng.choice(objectives)}/score")

                async def subtree() -> None:
                    await get(CASCADE)

                async def audit_log() -> None:
                    await get("/audit/key-result-adjustments", cycle_id=CYCLE.id)

                cursors = await _page_cursors(http, PAGE)
                pick = random.Random(5)

                async def page() -> None:
                    # A page anywhere in the walk, the first (the root's) included.
                    cursor = pick.choice(cursors)
                    await get(f"{CASCADE}/page", limit=str(PAGE), **cursor)

                for call in (score, subtree, audit_log, page):
                    await call()  # warm: connections, prepared statements
                row |= _summary("score", await _latencies(requests, score))
                row |= _summary("subtree", await _latencies(max(3, requests // 10), subtree))
                row |= _summary("audit", await _latencies(requests, audit_log))
                row |= _summary("page", await _latencies(requests, page))
                row |= _summary("page_cold", await _cold_pages(database_url, schema, requests))
            # The floor under the score: the one-row lookup behind it, without HTTP.
            raw = await _latencies(
                requests,
                lambda: conn.fetchrow(
                    f'SELECT * FROM "{schema}".goals WHERE tenant_id = $1 AND '
                    "goal_type = 'objective' AND goal_id = $2",
                    TENANT,
                    rng.choice(objectives),
                ),
            )
            row |= _summary("raw_row", raw)
            # The floor under a page: PostgreSQL alone ordering the subtree and cutting
            # the first page's rows, no roll-ups and no views.
            raw_page = await _latencies(
                max(3, requests // 10), lambda: conn.fetch(raw_page_sql(schema), TENANT, PAGE)
            )
            row |= _summary("raw_page", raw_page)
    finally:
        # Only once the read side has stopped: its projector polls the schema until then
        # (and a projector restarted on a dropped schema would migrate it back).
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()
        await nc.jetstream().delete_stream(stream)
    return row
