"""Partitioned projector workers, processes of their own, under load: one SIGKILLed
mid-batch (the survivor takes its partitions), and one joining mid-stream (partitions
move to it). Proved by the same counting as the single projector's kill."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import asyncpg
import pytest

from projections.partitions import partition_of
from projections.tables import PARKED, PARTITION_CHECKPOINTS
from services.bootstrap import command_service
from services.client import OkrClient
from services.settings import Settings
from tests.faults.load import CheckInLoad, Goals, Ledger, set_up_goals
from tests.faults.profiles import PROFILES, Profile, connect
from tests.faults.proof import Figures, prove_projection, prove_stream, stored_events
from tests.faults.test_projector_kill import BATCH, REPO

pytestmark = pytest.mark.integration
PARTITIONS = 8
WAIT_S = 60.0


@dataclass
class Worker:
    """One ``tests.faults.projector_process`` child, its output read as it comes (so that
    a full pipe never blocks it)."""

    name: str
    child: asyncio.subprocess.Process
    holding: frozenset[int] | None = None
    writing: int = 0  # batches it announced
    last_written: int = 0  # the last sequence of the batch it announced last
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    reading: asyncio.Task[None] | None = None

    async def _read(self) -> None:
        assert self.child.stdout is not None
        while raw := await self.child.stdout.readline():
            words = raw.decode().split()
            if words[:1] == ["holding"]:
                owned = words[1]
                self.holding = (
                    frozenset() if owned == "-" else frozenset(map(int, owned.split(",")))
                )
            elif words[:1] == ["writing"]:
                self.writing += 1
                self.last_written = int(words[2])
            self.changed.set()

    async def until(self, check: str, test: Callable[[], bool]) -> None:
        """Wait until ``test()`` holds, reading the child's lines meanwhile."""
        async with asyncio.timeout(WAIT_S):
            while not test():
                assert self.child.returncode is None, f"{self.name} exited before: {check}"
                self.changed.clear()
                await self.changed.wait()

    async def kill(self) -> None:
        """SIGKILL, as the machine or the OOM killer would."""
        self.child.kill()
        await self.child.wait()

    async def stop(self) -> int:
        """SIGTERM, then its exit code."""
        with contextlib.suppress(ProcessLookupError):
            self.child.terminate()
        code = await self.child.wait()
        if self.reading is not None:
            await self.reading
        return code


async def spawn(
    name: str, nats_url: str, database_url: str, settings: Settings, log: Path
) -> Worker:
    """Start a partitioned worker ``name`` and wait until it holds its first share."""
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
            str(PARTITIONS),
            name,
            cwd=REPO,
            stdout=asyncio.subprocess.PIPE,
            stderr=err,
        )
    worker = Worker(name, child)
    worker.reading = asyncio.create_task(worker._read())
    await worker.until("its first share", lambda: worker.holding is not None)
    return worker


def spread_tenants(prefix: str) -> list[str]:
    """One tenant in each partition, so that every worker has tenants to write."""
    found: dict[int, str] = {}
    for i in range(10_000):
        found.setdefault(partition_of(f"{prefix}-{i}", PARTITIONS), f"{prefix}-{i}")
        if len(found) == PARTITIONS:
            break
    return [found[p] for p in range(PARTITIONS)]


async def partition_checkpoints(
    database_url: str, schema: str, partitions: frozenset[int]
) -> list[int]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            f'SELECT last_sequence FROM "{schema}".{PARTITION_CHECKPOINTS} '
            "WHERE partition = ANY($1::int[])",
            sorted(partitions),
        )
        return [int(r["last_sequence"]) for r in rows]
    finally:
        await conn.close()


async def parked(database_url: str, schema: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return int(await conn.fetchval(f'SELECT count(*) FROM "{schema}".{PARKED}'))
    finally:
        await conn.close()


@dataclass
class Scenario:
    """The servers, the command service's clients and the load of one test."""

    nats_url: str
    database_url: str
    settings: Settings
    log: Path
    figures: Figures


Faults = Callable[[Scenario, list["Worker"], CheckInLoad], Awaitable[str]]


async def run_scenario(s: Scenario, profile: Profile, tenant: str, faults: Faults) -> str:
    """Load several tenants while ``faults`` acts on the workers; prove; returns its note."""
    async with command_service(s.settings, s.nats_url) as service:
        nc = await connect(s.nats_url)
        workers: list[Worker] = []
        try:
            ledger = Ledger()
            clients = [
                OkrClient(nc, t, "loader", service.subjects, timeout_s=5)
                for t in spread_tenants(tenant)
            ]
            goals: Goals | None = None
            for client in clients:
                goals = await set_up_goals(client, ledger, count=3)
            assert goals is not None
            load = CheckInLoad(
                clients, goals, ledger, 10 * profile.commands, len(clients), profile.pause_s
            )
            loading = asyncio.create_task(load.run())
            note = await faults(s, workers, load)
            assert not loading.done(), "the faults must land while commands are flowing"
            await load.wait_for(profile.commands)
            load.stop.set()
            await loading
            events = await stored_events(nc, service.stream_name, service.subjects)
            prove_stream(ledger, events, s.figures)
            await prove_projection(
                nc, s.database_url, service.stream_name, s.settings.db_schema, events, s.figures
            )
            assert await parked(s.database_url, s.settings.db_schema) == 0
            for worker in workers:
                if worker.child.returncode is None:  # the killed one stays dead
                    assert await worker.stop() == 0, s.log.read_text()[-3000:]
            return note
        finally:
            for worker in workers:
                if worker.child.returncode is None:
                    await worker.kill()
            await nc.close()


@pytest.mark.parametrize("profile", PROFILES)
async def test_a_worker_killed_mid_batch_hands_its_partitions_to_the_survivor(
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
    figures = Figures("partitioned worker SIGKILL", profile.name, "")
    record_figures.append(figures)
    began = time.monotonic()
    log = fault_dir / "workers.log"

    async def kill_one(s: Scenario, workers: list[Worker], load: CheckInLoad) -> str:
        a = await spawn("a", s.nats_url, s.database_url, s.settings, log)
        workers.append(a)
        b = await spawn("b", s.nats_url, s.database_url, s.settings, log)
        workers.append(b)
        half = PARTITIONS // 2
        await a.until("a gives half back", lambda: a.holding is not None and len(a.holding) == half)
        await b.until("b takes half", lambda: b.holding is not None and len(b.holding) == half)
        await load.then(profile.commands // 4)
        written = b.writing
        await b.until("b writes a batch", lambda: b.writing > written)
        await b.kill()
        assert b.holding is not None
        behind = await partition_checkpoints(s.database_url, s.settings.db_schema, b.holding)
        mid_batch = min(behind) < b.last_written  # its last batch died uncommitted
        await a.until("a takes every partition", lambda: a.holding == frozenset(range(PARTITIONS)))
        return f"1 x SIGKILL of 1 of 2 workers ({'mid-batch' if mid_batch else 'between batches'})"

    figures.faults = await run_scenario(
        Scenario(nats_url, database_url, settings, log, figures), profile, tenant, kill_one
    )
    figures.seconds = time.monotonic() - began


@pytest.mark.parametrize("profile", PROFILES)
async def test_a_worker_joining_mid_stream_takes_half_the_partitions(
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
    figures = Figures("partitioned worker joins", profile.name, "")
    record_figures.append(figures)
    began = time.monotonic()
    log = fault_dir / "workers.log"

    async def join_one(s: Scenario, workers: list[Worker], load: CheckInLoad) -> str:
        a = await spawn("a", s.nats_url, s.database_url, s.settings, log)
        workers.append(a)
        await a.until("a owns all", lambda: a.holding == frozenset(range(PARTITIONS)))
        await load.then(profile.commands // 4)
        b = await spawn("b", s.nats_url, s.database_url, s.settings, log)
        workers.append(b)
        half = PARTITIONS // 2
        await b.until("b takes half", lambda: b.holding is not None and len(b.holding) == half)
        await a.until("a gives half back", lambda: a.holding is not None and len(a.holding) == half)
        assert a.holding is not None
        assert b.holding is not None
        assert not a.holding & b.holding
        return "a second worker joined under load, partitions moved"

    figures.faults = await run_scenario(
        Scenario(nats_url, database_url, settings, log, figures), profile, tenant, join_one
    )
    figures.seconds = time.monotonic() - began
