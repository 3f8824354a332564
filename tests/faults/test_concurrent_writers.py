"""Many clients and two service instances racing on the same goals: every check-in
accepted once, each goal's versions gapless, the read models equal to a replay."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace

import pytest

from services.bootstrap import command_service, read_side
from services.client import OkrClient
from services.settings import Settings
from tests.faults.load import CheckInLoad, Ledger, set_up_goals
from tests.faults.profiles import PROFILES, Profile, connect
from tests.faults.proof import Figures, prove_projection, prove_stream, stored_events

pytestmark = pytest.mark.integration
RACED_GOALS = 2  # few goals, many writers: most appends contend for the same aggregate


@pytest.mark.parametrize("profile", PROFILES)
async def test_concurrent_writers_on_the_same_goals(
    profile: Profile,
    nats_url: str,
    database_url: str,
    pg_schema: str,
    fault_settings: Settings,
    tenant: str,
    record_figures: list[Figures],
) -> None:
    figures = Figures("concurrent writers, same goals", profile.name, "")
    record_figures.append(figures)
    began = time.monotonic()
    settings = replace(fault_settings, nats_url=nats_url, db_schema=pg_schema)
    writers = 2 * profile.workers
    # Two instances in one queue group, each with its own aggregate cache: their appends
    # race at JetStream's expected-sequence check, not only inside one process.
    async with (
        command_service(settings, nats_url) as service,
        command_service(settings, nats_url),
        read_side(settings, service.connection, database_url),
    ):
        connections = [await connect(nats_url) for _ in range(writers)]
        try:
            clients = [
                OkrClient(nc, tenant, f"writer-{i}", service.subjects, timeout_s=10)
                for i, nc in enumerate(connections)
            ]
            ledger = Ledger()
            goals = await set_up_goals(clients[0], ledger, count=RACED_GOALS)
            await CheckInLoad(clients, goals, ledger, profile.commands, writers).run()
            events = await stored_events(connections[0], service.stream_name, service.subjects)
            prove_stream(ledger, events, figures)
            await prove_projection(
                connections[0], database_url, service.stream_name, pg_schema, events, figures
            )
        finally:
            for nc in connections:
                await nc.close()
    per_goal = Counter(e.envelope.aggregate_id for e in events)
    accepted_per_goal = Counter(o.aggregate[1] for o in ledger.accepted())
    figures.faults = f"{writers} clients, 2 service instances, {RACED_GOALS} goals"
    figures.notes = f"events per goal {dict(per_goal)}"
    figures.seconds = time.monotonic() - began
    assert per_goal == accepted_per_goal
    assert figures.commands_refused == 0
