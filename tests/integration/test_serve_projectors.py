"""``okr serve --projectors 2`` in a real process: two worker children share the read
models' partitions, project what the service stores, and stop with the service."""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from pathlib import Path

import asyncpg
import pytest
from nats.aio.client import Client

from events.subjects import Subjects
from projections.partitions import DEFAULT_PARTITIONS, locks_of
from projections.tables import PARTITION_CHECKPOINTS
from services.adapters.stream import StreamSettings
from services.client import OkrClient
from tests.integration.conftest import TEST_SEAL_KEY, TEST_SECRET
from tests.integration.test_projections import scripted_quarter

pytestmark = pytest.mark.integration
WAIT_S = 60.0


async def owners(conn: asyncpg.Connection, schema: str) -> tuple[Counter[str | None], int, int]:
    """(partitions per named owner holding its lock now, distinct holder pids, slowest
    checkpoint)."""
    rows = await conn.fetch(
        "SELECT c.last_sequence, CASE WHEN l.pid IS NULL THEN NULL ELSE c.owner END AS owner, "
        f'l.pid FROM "{schema}".{PARTITION_CHECKPOINTS} c LEFT JOIN pg_locks l ON '
        f"{locks_of('$1::text')} AND l.objid = c.partition::bigint::oid",
        schema,
    )
    held = Counter(r["owner"] for r in rows)
    pids = len({r["pid"] for r in rows if r["pid"] is not None})
    return held, pids, min((int(r["last_sequence"]) for r in rows), default=0)


async def test_serve_with_two_projectors_shares_the_partitions_and_stops_them(
    nats_url: str,
    database_url: str,
    nats_client: Client,
    stream_settings: StreamSettings,
    pg_schema: str,
    tenant: str,
    tmp_path: Path,
) -> None:
    subjects: Subjects = stream_settings.subjects
    env = {k: v for k, v in os.environ.items() if not k.startswith("OKR_")}
    env |= {
        "OKR_NATS_URL": nats_url,
        "OKR_DATABASE_URL": database_url,
        "OKR_STREAM": stream_settings.name,
        "OKR_SUBJECT_ROOT": subjects.root,
        "OKR_DB_SCHEMA": pg_schema,
        "OKR_SEAL_KEY": TEST_SEAL_KEY,
        "OKR_AUTH_SECRET": TEST_SECRET,
        "OKR_DATA_DIR": str(tmp_path / "data"),
        "OKR_HTTP_PORT": "0",
    }
    log = tmp_path / "serve.log"
    with log.open("ab") as err:
        service = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.entrypoints.cli.main",
            "serve",
            "--projectors",
            "2",
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=err,
        )
    conn = await asyncpg.connect(database_url)
    try:
        half = DEFAULT_PARTITIONS // 2
        async with asyncio.timeout(WAIT_S):
            while (await owners_or_none(conn, pg_schema)) != ({"p1": half, "p2": half}, 2):
                assert service.returncode is None, log.read_text()[-3000:]
                await asyncio.sleep(0.2)
            okr = OkrClient(nats_client, tenant, "ana", subjects, timeout_s=10)
            await scripted_quarter(okr)
            head = (await nats_client.jetstream().stream_info(stream_settings.name)).state.last_seq
            while (await owners(conn, pg_schema))[2] < head:  # noqa: ASYNC110 (polls PostgreSQL)
                await asyncio.sleep(0.2)
        service.terminate()
        assert await asyncio.wait_for(service.wait(), WAIT_S) == 0, log.read_text()[-3000:]
        held, pids, _ = await owners(conn, pg_schema)
    finally:
        if service.returncode is None:
            service.kill()
            await service.wait()
        await conn.close()

    assert pids == 0, "the workers stopped with the service (their locks are gone)"
    assert held == {None: DEFAULT_PARTITIONS}


async def owners_or_none(
    conn: asyncpg.Connection, schema: str
) -> tuple[dict[str | None, int], int] | None:
    """(owners, holder pids) once the workers created the partition rows."""
    table = f'"{schema}".{PARTITION_CHECKPOINTS}'
    if await conn.fetchval("SELECT to_regclass($1)", table) is None:
        return None
    held, pids, _ = await owners(conn, schema)
    return dict(held), pids
