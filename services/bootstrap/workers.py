"""Projector workers: one in a process of its own (``okr project``), and the N that
``okr serve --projectors N`` starts beside the service and stops with it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import nats

from projections.runner import Projector
from services.adapters import database
from services.adapters.subject_keys import SubjectKeys
from services.adapters.telemetry.setup import telemetry_for
from services.application.projector_supervisor import ProjectorSupervisor
from services.settings import Settings

log = logging.getLogger(__name__)
STOP_WAIT_S = 15.0  # a child's batch in flight commits (or rolls back) within this
RESPAWN_S = 1.0  # a child that died is started again after this
_PARENT_POLL_S = 1.0


async def project(
    settings: Settings,
    nats_url: str,
    database_url: str,
    worker: str | None,
    stop: asyncio.Event,
    parent: int | None = None,
) -> None:
    """Run one supervised projector worker until ``stop`` (or until ``parent`` is gone)."""
    nc = await nats.connect(nats_url, max_reconnect_attempts=-1)  # outlives NATS outages
    keys = await SubjectKeys.open(nc, settings.subject_keys, settings.stream_replicas)
    conn = await database.connect(database_url, settings.db_timeouts)
    projector = Projector(
        nc,
        conn,
        settings.stream_name,
        settings.db_schema,
        settings.scoring_policy,
        keys=keys,
        observer=telemetry_for(settings).projection(),
        partitions=settings.projection_partitions,
        worker=worker,
    )
    await projector.writer.open()  # a mismatched partition count stops it here, said once
    supervisor = ProjectorSupervisor(nc, database_url, settings, conn, projector)
    watching = asyncio.create_task(_orphaned(parent, stop))
    log.info("projector worker %s on schema %s", projector.worker, settings.db_schema)
    try:
        await supervisor.run(stop)
    finally:
        watching.cancel()
        with contextlib.suppress(Exception):
            await supervisor.conn.close(timeout=5)
        await nc.close()


async def _orphaned(parent: int | None, stop: asyncio.Event) -> None:
    """Set ``stop`` once ``parent`` (the service that started this worker) is gone: a
    SIGKILLed service must not leave workers writing behind it."""
    if parent is None:
        return
    while os.getppid() == parent:  # noqa: ASYNC110 (no event says a parent died)
        await asyncio.sleep(_PARENT_POLL_S)
    log.warning("the service that started this worker (pid %s) is gone: stopping", parent)
    stop.set()


@asynccontextmanager
async def projector_workers(
    settings: Settings, nats_url: str, database_url: str
) -> AsyncIterator[list[str]]:
    """Start ``settings.projectors`` worker processes (none when it is 1: the service
    projects itself; or 0), restart any that dies, and stop them all on exit. Yields their
    ids."""
    if settings.projectors <= 1:
        yield []
        return
    names = [f"p{i}" for i in range(1, settings.projectors + 1)]
    # The embedded servers' URLs (credentials included) reach the children this way only.
    env = {**os.environ, "OKR_NATS_URL": nats_url, "OKR_DATABASE_URL": database_url}
    stopping = asyncio.Event()
    keeping = [asyncio.create_task(_keep(name, env, stopping)) for name in names]
    try:
        yield names
    finally:
        stopping.set()
        await asyncio.gather(*keeping, return_exceptions=True)


async def _keep(name: str, env: dict[str, str], stopping: asyncio.Event) -> None:
    """Run worker ``name`` as a child until ``stopping``; start it again if it dies."""
    command = ["-m", "services.entrypoints.cli.main", "project", "--worker", name]
    while True:
        child = await asyncio.create_subprocess_exec(
            sys.executable, *command, "--parent", str(os.getpid()), env=env
        )
        exited = asyncio.create_task(child.wait())
        halted = asyncio.create_task(stopping.wait())
        await asyncio.wait({exited, halted}, return_when=asyncio.FIRST_COMPLETED)
        halted.cancel()
        if stopping.is_set():
            await _stop(child)
            exited.cancel()
            return
        log.warning(
            "projector worker %s exited (code %s); starting it again", name, exited.result()
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), RESPAWN_S)
        if stopping.is_set():
            return


async def _stop(child: asyncio.subprocess.Process) -> None:
    """SIGTERM (a clean stop hands its partitions on), then SIGKILL if it hangs."""
    if child.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        child.terminate()
    try:
        await asyncio.wait_for(child.wait(), STOP_WAIT_S)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            child.kill()
        await child.wait()
