"""The projector, a process of its own, SIGKILLed mid-batch again and again under load."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from dataclasses import replace
from pathlib import Path

import asyncpg
import pytest

from services.bootstrap import command_service
from services.client import OkrClient
from services.settings import Settings
from tests.faults.load import CheckInLoad, Ledger, set_up_goals
from tests.faults.profiles import PROFILES, Profile, connect
from tests.faults.proof import (
    Figures,
    checkpoint,
    prove_projection,
    prove_stream,
    stored_events,
    wait_for_checkpoint,
)

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
BATCH = 100
LINE_TIMEOUT_S = 30.0


async def spawn_projector(
    nats_url: str, database_url: str, settings: Settings, log: Path
) -> asyncio.subprocess.Process:
    """Start ``tests.faults.projector_process`` and wait for its ``started`` line."""
    with log.open("ab") as err:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.faults.projector_process",
            nats_url,
            database_url,
            settings.stream_name,
            settings.db_schema,
            str(BATCH),
            cwd=REPO,
            stdout=asyncio.subprocess.PIPE,
            stderr=err,
        )
    await next_line(child, "started")
    return child


async def next_line(child: asyncio.subprocess.Process, prefix: str) -> list[str]:
    """The child's next output line starting with ``prefix``, split in words."""
    assert child.stdout is not None
    async with asyncio.timeout(LINE_TIMEOUT_S):
        while True:
            raw = await child.stdout.readline()
            assert raw, f"the projector exited (code {await child.wait()}) before {prefix!r}"
            words = raw.decode().split()
            if words and words[0] == prefix:
                return words


@pytest.mark.parametrize("profile", PROFILES)
async def test_projector_killed_mid_batch_repeatedly_loses_and_doubles_nothing(
    profile: Profile,
    nats_url: str,
    database_url: str,
    pg_schema: str,
    fault_settings: Settings,
    fault_dir: Path,
    tenant: str,
    record_figures: list[Figures],
) -> None:
    settings = replace(fault_settings, db_schema=pg_schema)
    figures = Figures("projector SIGKILL mid-batch", profile.name, "")
    record_figures.append(figures)
    began = time.monotonic()
    log = fault_dir / "projector.log"
    async with command_service(settings, nats_url) as service:
        nc = await connect(nats_url)
        pg = await asyncpg.connect(database_url)
        child: asyncio.subprocess.Process | None = None
        try:
            client = OkrClient(nc, tenant, "loader", service.subjects, timeout_s=5)
            ledger = Ledger()
            goals = await set_up_goals(client, ledger, count=10)
            load = CheckInLoad(
                [client], goals, ledger, 10 * profile.commands, profile.workers, profile.pause_s
            )
            loading = asyncio.create_task(load.run())
            kills = mid_batch = under_load = 0
            # At least ``faults`` kills, and go on (a while) until one provably cut a
            # batch short: written to PostgreSQL but not committed when the kill landed.
            while kills < profile.faults or (mid_batch == 0 and kills < 4 * profile.faults):
                child = await spawn_projector(nats_url, database_url, settings, log)
                _, _, last = await next_line(child, "writing")
                child.kill()
                await child.wait()
                child = None
                kills += 1
                under_load += not loading.done()
                mid_batch += await checkpoint(pg, pg_schema) < int(last)
            await load.wait_for(profile.commands)  # at least the profile's load, all told
            load.stop.set()
            await loading
            # The last life runs to the head; a clean SIGTERM ends it.
            child = await spawn_projector(nats_url, database_url, settings, log)
            events = await stored_events(nc, service.stream_name, service.subjects)
            prove_stream(ledger, events, figures)
            await wait_for_checkpoint(database_url, pg_schema, events[-1].stream_sequence)
            child.terminate()
            assert await child.wait() == 0, log.read_text()[-3000:]
            child = None
            figures.faults = f"{kills} x SIGKILL ({mid_batch} mid-batch, {under_load} under load)"
            await prove_projection(
                nc, database_url, service.stream_name, pg_schema, events, figures
            )
        finally:
            if child is not None:
                with contextlib.suppress(ProcessLookupError):
                    child.kill()
                await child.wait()
            await pg.close()
            await nc.close()
    figures.seconds = time.monotonic() - began
    assert kills >= profile.faults
    assert mid_batch >= 1, "no kill landed inside a batch: the scenario proved too little"
    assert under_load >= profile.faults, "the kills must land while commands are flowing"
