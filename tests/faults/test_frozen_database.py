"""A frozen PostgreSQL (every process SIGSTOPped): reads answer 503 ``unavailable`` within
seconds instead of hanging, and the service recovers by itself once it thaws."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import nats
import pytest

from services.application.auth import Role, TokenAuthority
from services.bootstrap import command_service, read_side
from services.client import OkrClient
from services.settings import DatabaseTimeouts, Settings
from tests.faults.load import Q4
from tests.faults.nodes import OwnPostgres

pytestmark = pytest.mark.integration
SECRET = "frozen-database-test-secret-of-at-least-32-bytes"
WAITS = DatabaseTimeouts(connect_s=1.0, acquire_s=1.0, query_s=1.0, write_s=2.0)
# A read may wait out its query, then the pool's wait for the query's cancellation.
ANSWER_WITHIN_S = 2 * WAITS.query_s + WAITS.acquire_s + 1.0
RECOVER_WITHIN_S = 20.0
# More readers at once than the pool has connections: some wait in acquire.
READERS = 12


async def test_frozen_database_answers_503_and_recovers(
    nats_url: str, fault_settings: Settings, fault_dir: Path, tenant: str
) -> None:
    settings = replace(fault_settings, auth_secret=SECRET, db_timeouts=WAITS)
    token = TokenAuthority(SECRET).issue(tenant, Role.MEMBER, "reader", datetime.now(UTC))
    score = f"/tenants/{tenant}/goals/objective/o1/score"
    with OwnPostgres(fault_dir / "postgres") as pg:
        async with (
            command_service(settings, nats_url) as service,
            read_side(settings, service.connection, pg.dsn) as reads,
            httpx.AsyncClient(
                base_url=reads.http_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
            ) as http,
        ):
            nc = await nats.connect(nats_url)
            client = OkrClient(nc, tenant, "lead", service.subjects)
            try:
                created = await client.send(
                    "create_objective",
                    objective_id="o1",
                    title="Stay up",
                    level="team",
                    owner="lead",
                    cycle=Q4,
                )
                assert created.ok, created
                await reads.wait_until_current()
                assert (await http.get(score)).status_code == 200

                frozen = await asyncio.to_thread(pg.freeze)
                try:
                    # The write side does not need PostgreSQL: the projector has work waiting.
                    closed = await client.send("close_goal", goal_type="objective", goal_id="o1")
                    assert closed.ok, closed
                    began = time.monotonic()
                    answers = await asyncio.gather(*(http.get(score) for _ in range(READERS)))
                    waited = time.monotonic() - began
                    lag = await http.get("/projections/lag")
                finally:
                    await asyncio.to_thread(pg.thaw, frozen)

                assert waited < ANSWER_WITHIN_S, f"reads waited {waited:.1f} s on a frozen database"
                for answer in [*answers, lag]:
                    assert answer.status_code == 503, answer.text
                    assert answer.json()["error"]["code"] == "unavailable"
                    assert answer.json()["error"]["retryable"] is True

                async with asyncio.timeout(RECOVER_WITHIN_S):
                    while (await http.get(score)).json().get("status") != "closed":  # noqa: ASYNC110
                        await asyncio.sleep(0.2)
                await reads.wait_until_current(RECOVER_WITHIN_S)
                assert (await http.get("/projections/lag")).json()["caught_up"] is True
            finally:
                await nc.close()
