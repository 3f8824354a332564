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
from services.application.auth import Role, TokenAuthority
from services.bootstrap import read_side
from services.settings import Settings

TENANT = "bench"
# The read models the queries touch (goals, key results, cascade, adjustments) are all
# there after the first weeks; the later weeks only lengthen the check-in history.
WEEKS = 3


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
                    await get(f"/cascade/objective/{COMPANY_OBJECTIVE}")

                async def audit_log() -> None:
                    await get("/audit/key-result-adjustments", cycle_id=CYCLE.id)

                for call in (score, subtree, audit_log):
                    await call()  # warm: connections, prepared statements
                row |= _summary("score", await _latencies(requests, score))
                row |= _summary("subtree", await _latencies(max(3, requests // 10), subtree))
                row |= _summary("audit", await _latencies(requests, audit_log))
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
    finally:
        # Only once the read side has stopped: its projector polls the schema until then
        # (and a projector restarted on a dropped schema would migrate it back).
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()
        await nc.jetstream().delete_stream(stream)
    return row
