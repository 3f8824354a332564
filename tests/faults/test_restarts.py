"""NATS and PostgreSQL restarted under load: callers get retryable errors, not hangs;
nothing accepted is lost or doubled; the projector resumes on its own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import pytest

from services.bootstrap import ReadSide, command_service, read_side
from services.client import OkrClient
from services.settings import Settings
from tests.faults.load import CheckInLoad, Ledger, set_up_goals
from tests.faults.nodes import OwnPostgres, nats_node
from tests.faults.profiles import PROFILES, Profile, connect
from tests.faults.proof import Figures, prove_projection, prove_stream, stored_events

pytestmark = pytest.mark.integration
CLIENT_TIMEOUT_S = 2.0
# A request may wait its own timeout, plus the client's short no-responders retries.
NO_HANG_S = CLIENT_TIMEOUT_S + 1.0


async def drive(
    profile: Profile,
    settings: Settings,
    nats_url: str,
    database_url: str,
    tenant: str,
    figures: Figures,
    fault: Callable[[int], Awaitable[None]],
) -> ReadSide:
    """Load the service, call ``fault(i)`` at evenly spaced points, then prove the counts."""
    async with (
        command_service(settings, nats_url) as service,
        read_side(settings, service.connection, database_url) as reads,
    ):
        nc = await connect(nats_url)
        try:
            client = OkrClient(nc, tenant, "loader", service.subjects, CLIENT_TIMEOUT_S)
            ledger = Ledger()
            goals = await set_up_goals(client, ledger, count=10)
            load = CheckInLoad(
                [client], goals, ledger, 10 * profile.commands, profile.workers, profile.pause_s
            )
            loading = asyncio.create_task(load.run())
            step = profile.commands // (profile.faults + 1)
            under_load = 0
            for i in range(profile.faults):
                await load.then(step)
                await fault(i)
                under_load += not loading.done()
                # Up for a while before the next fault: each one hits a running service.
                await asyncio.sleep(profile.outage_s)
            await load.then(step)
            load.stop.set()
            await loading
            events = await stored_events(nc, service.stream_name, service.subjects)
            prove_stream(ledger, events, figures)
            await prove_projection(
                nc, database_url, service.stream_name, settings.db_schema, events, figures
            )
        finally:
            await nc.close()
    assert under_load == profile.faults, "every fault must land while commands flow"
    assert figures.commands_refused == 0, "a valid command was refused for good by a fault"
    assert figures.slowest_reply_s <= NO_HANG_S, "a request waited past its timeout"
    return reads


@pytest.mark.parametrize("profile", PROFILES)
async def test_nats_restarted_under_load(
    profile: Profile,
    database_url: str,
    pg_schema: str,
    fault_settings: Settings,
    fault_dir: Path,
    tenant: str,
    record_figures: list[Figures],
) -> None:
    figures = Figures("NATS restarted", profile.name, "")
    record_figures.append(figures)
    began = time.monotonic()

    with nats_node(fault_dir / "nats") as node:

        async def restart(i: int) -> None:
            # Alternately a clean stop and a crash; same port, same store directory.
            await asyncio.to_thread(node.kill if i % 2 else node.stop)
            await asyncio.sleep(profile.outage_s)
            await asyncio.to_thread(node.start)

        settings = replace(fault_settings, nats_url=node.url, db_schema=pg_schema)
        await drive(profile, settings, node.url, database_url, tenant, figures, restart)

    figures.faults = (
        f"{profile.faults} restarts ({(profile.faults + 1) // 2} SIGTERM, "
        f"{profile.faults // 2} SIGKILL), {profile.outage_s:.0f} s down each"
    )
    figures.seconds = time.monotonic() - began
    assert figures.retryable_replies.get("unavailable", 0) > 0, (
        "callers should have been told 'unavailable' while NATS was down"
    )


@pytest.mark.parametrize("profile", PROFILES)
async def test_postgres_restarted_under_load(
    profile: Profile,
    nats_url: str,
    fault_settings: Settings,
    fault_dir: Path,
    tenant: str,
    record_figures: list[Figures],
) -> None:
    figures = Figures("PostgreSQL restarted", profile.name, "")
    record_figures.append(figures)
    began = time.monotonic()

    with OwnPostgres(fault_dir / "postgres") as pg:

        async def restart(i: int) -> None:
            # "immediate" is a crash: open transactions (the projector's batch) are cut.
            await asyncio.to_thread(pg.stop, "immediate" if i % 2 else "fast")
            await asyncio.sleep(profile.outage_s)
            await asyncio.to_thread(pg.start)

        settings = replace(fault_settings, nats_url=nats_url)
        reads = await drive(profile, settings, nats_url, pg.dsn, tenant, figures, restart)

    figures.faults = (
        f"{profile.faults} restarts ({(profile.faults + 1) // 2} fast, "
        f"{profile.faults // 2} immediate), {profile.outage_s:.0f} s down each"
    )
    figures.notes = f"projector restarted {reads.supervisor.restarts} times by its supervisor"
    figures.seconds = time.monotonic() - began
    # The write side does not touch PostgreSQL: no command had to wait for it.
    assert figures.retryable_replies == {}
    assert reads.supervisor.restarts >= profile.faults, "each restart cuts the projector off"
