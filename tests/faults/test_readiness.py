"""/readyz follows the database: not ready while PostgreSQL is frozen (every process
SIGSTOPped), naming the check that failed within its timeout, and ready again once it thaws."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from services.bootstrap import command_service, read_side
from services.settings import DatabaseTimeouts, Settings
from tests.faults.nodes import OwnPostgres

pytestmark = pytest.mark.integration
WAITS = DatabaseTimeouts(connect_s=1.0, acquire_s=1.0, query_s=1.0, write_s=2.0)
# The probe waits for a pooled connection and one statement; the HTTP round trip on top.
ANSWER_WITHIN_S = WAITS.acquire_s + WAITS.query_s + 2.0
RECOVER_WITHIN_S = 20.0


async def test_readyz_is_unready_while_postgres_is_frozen_and_ready_after(
    nats_url: str, fault_settings: Settings, fault_dir: Path
) -> None:
    settings = replace(fault_settings, db_timeouts=WAITS, auth_secret="r" * 40)
    with OwnPostgres(fault_dir / "postgres") as pg:
        async with (
            command_service(settings, nats_url) as service,
            read_side(settings, service.connection, pg.dsn) as reads,
            httpx.AsyncClient(base_url=reads.http_url, timeout=30) as http,
        ):
            ready = await http.get("/readyz")
            assert ready.status_code == 200, ready.text

            frozen = await asyncio.to_thread(pg.freeze)
            try:
                began = time.monotonic()
                unready = await http.get("/readyz")
                waited = time.monotonic() - began
                alive = await http.get("/healthz")
            finally:
                await asyncio.to_thread(pg.thaw, frozen)

            assert unready.status_code == 503, unready.text
            assert waited < ANSWER_WITHIN_S, f"/readyz waited {waited:.1f} s"
            checks = unready.json()["checks"]
            assert checks["postgres"]["ok"] is False
            assert "within" in checks["postgres"]["detail"]
            assert checks["nats"]["ok"] is True
            assert checks["streams"]["ok"] is True
            assert unready.json()["ready"] is False
            assert alive.status_code == 200  # the process still answers

            async with asyncio.timeout(RECOVER_WITHIN_S):
                while (await http.get("/readyz")).status_code != 200:  # noqa: ASYNC110
                    await asyncio.sleep(0.2)
