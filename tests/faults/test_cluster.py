"""A 3-node JetStream cluster with an R3 stream: a node killed and brought back under load."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

import pytest
from nats.aio.client import Client

from services.bootstrap import command_service, read_side
from services.client import OkrClient
from services.settings import Settings
from tests.faults.load import CheckInLoad, Ledger, set_up_goals
from tests.faults.nodes import NatsNode, nats_cluster
from tests.faults.profiles import PROFILES, Profile, connect
from tests.faults.proof import Figures, prove_projection, prove_stream, stored_events

pytestmark = pytest.mark.integration
CLIENT_TIMEOUT_S = 3.0
READY_TIMEOUT_S = 30.0


async def wait_for_jetstream(nc: Client) -> None:
    """Return once the cluster has a JetStream meta leader (it answers account info)."""
    async with asyncio.timeout(READY_TIMEOUT_S):
        while True:
            try:
                await nc.jetstream().account_info()
                return
            except Exception:  # no meta leader yet: 503 / timeout
                await asyncio.sleep(0.2)


async def leader_of(nc: Client, stream: str, nodes: list[NatsNode]) -> NatsNode:
    """The node that leads the stream's Raft group now."""
    info = await nc.jetstream().stream_info(stream)
    assert info.cluster is not None
    assert info.cluster.leader
    assert len(info.cluster.replicas or []) == 2, "an R3 stream has two followers"
    return next(node for node in nodes if node.name == info.cluster.leader)


@pytest.mark.parametrize("profile", PROFILES)
async def test_cluster_node_killed_and_brought_back_under_load(
    profile: Profile,
    database_url: str,
    pg_schema: str,
    fault_settings: Settings,
    fault_dir: Path,
    tenant: str,
    record_figures: list[Figures],
) -> None:
    figures = Figures("3-node cluster, R3 stream, leader killed", profile.name, "")
    record_figures.append(figures)
    began = time.monotonic()
    with nats_cluster(fault_dir / "cluster") as nodes:
        urls = [node.url for node in nodes]
        nc = await connect(urls)
        try:
            await wait_for_jetstream(nc)
            settings = replace(
                fault_settings, nats_url=urls[0], db_schema=pg_schema, stream_replicas=3
            )
            # The service is given one URL and learns the others from the cluster.
            async with (
                command_service(settings, urls[0]) as service,
                read_side(settings, service.connection, database_url),
            ):
                client = OkrClient(nc, tenant, "loader", service.subjects, CLIENT_TIMEOUT_S)
                ledger = Ledger()
                goals = await set_up_goals(client, ledger, count=10)
                load = CheckInLoad(
                    [client], goals, ledger, 10 * profile.commands, profile.workers, profile.pause_s
                )
                loading = asyncio.create_task(load.run())
                step = profile.commands // (profile.leader_kills + 1)
                killed: list[str] = []
                for _ in range(profile.leader_kills):
                    await load.then(step)
                    # The stream leader: the node whose loss forces an election.
                    victim = await leader_of(nc, service.stream_name, nodes)
                    killed.append(victim.name)
                    await asyncio.to_thread(victim.kill)
                    await asyncio.sleep(profile.outage_s)
                    await asyncio.to_thread(victim.start)
                    assert not loading.done(), "the kill must land while commands flow"
                    await asyncio.sleep(profile.outage_s)  # back in the cluster a while
                await load.then(step)
                load.stop.set()
                await loading
                events = await stored_events(nc, service.stream_name, service.subjects)
                prove_stream(ledger, events, figures)
                await prove_projection(
                    nc, database_url, service.stream_name, pg_schema, events, figures
                )
                # Once back, the restarted nodes catch up: all three replicas are current.
                info = await nc.jetstream().stream_info(service.stream_name)
                assert info.config.num_replicas == 3
        finally:
            await nc.close()
    figures.faults = (
        f"{profile.leader_kills} x SIGKILL of the stream leader ({', '.join(killed)}), "
        f"{profile.outage_s:.0f} s down each"
    )
    figures.seconds = time.monotonic() - began
    assert figures.commands_refused == 0, "a valid command was refused for good by a fault"
    assert figures.slowest_reply_s <= CLIENT_TIMEOUT_S + 1.0, "a request waited past its timeout"
