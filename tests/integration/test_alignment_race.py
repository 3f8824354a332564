"""Racing alignments never close a loop in the cascade, across goals and service instances."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from nats.aio.client import Client

from services.adapters.stream import StreamSettings
from services.bootstrap import CommandService, command_service
from services.client import OkrClient
from services.domain.errors import ErrorCode
from services.domain.replies import Accepted, Rejected
from services.settings import Settings
from tests.integration.test_command_service import IN_Q4, Q4

pytestmark = pytest.mark.integration
TRIALS = 1_000
AT_ONCE = 64


async def create_team_objective(client: OkrClient, objective_id: str) -> None:
    await client.execute(
        "create_objective",
        objective_id=objective_id,
        title=f"Objective {objective_id}",
        level="team",
        owner="lead",
        cycle=Q4,
        meta=IN_Q4,
    )


def align(child: str, parent: str) -> dict[str, object]:
    return {
        "goal_type": "objective",
        "goal_id": child,
        "parent": {"kind": "objective", "objective_id": parent},
        "meta": {**IN_Q4, "command_id": str(uuid.uuid4())},
    }


async def aligned_pairs(service: CommandService, tenant: str) -> set[tuple[str, str]]:
    events = await service.store.load_tenant(tenant)
    return {
        (e.envelope.aggregate_id, e.envelope.payload.parent.objective_id)  # type: ignore[attr-defined]
        for e in events
        if e.envelope.event_type == "goal.aligned"
    }


async def race(
    nats_client: Client, service: CommandService, loop: list[str], via: list[CommandService]
) -> tuple[list[Accepted | Rejected], set[tuple[str, str]]]:
    """In a fresh tenant, create the goals of ``loop`` and align each to the next at once."""
    tenant = f"race-{uuid.uuid4().hex[:12]}"
    clients = [OkrClient(nats_client, tenant, "tester", s.subjects) for s in via]
    await asyncio.gather(*(create_team_objective(clients[0], goal) for goal in loop))
    edges = list(zip(loop, loop[1:] + loop[:1], strict=True))
    replies = await asyncio.gather(
        *(
            clients[i % len(clients)].send("align_goal", **align(child, parent))
            for i, (child, parent) in enumerate(edges)
        )
    )
    return list(replies), await aligned_pairs(service, tenant)


def assert_no_loop(
    replies: list[Accepted | Rejected], stored: set[tuple[str, str]], loop: list[str]
) -> None:
    accepted = [r for r in replies if isinstance(r, Accepted)]
    refused = [r for r in replies if isinstance(r, Rejected)]
    assert len(stored) == len(accepted) == len(loop) - 1, (replies, stored)
    assert [r.error.code for r in refused] == [ErrorCode.ALIGNMENT_CYCLE]


async def test_two_racing_alignments_never_store_a_cycle(
    nats_client: Client, service: CommandService
) -> None:
    gate = asyncio.Semaphore(AT_ONCE)

    async def trial() -> None:
        async with gate:
            loop = ["a", "b"]
            assert_no_loop(*await race(nats_client, service, loop, [service]), loop)

    await asyncio.gather(*(trial() for _ in range(TRIALS)))


async def test_a_three_goal_loop_raced_through_two_service_instances_is_refused(
    nats_url: str, nats_client: Client, service: CommandService, stream_settings: StreamSettings
) -> None:
    settings = Settings(
        nats_url=nats_url,
        stream_name=stream_settings.name,
        subject_root=stream_settings.subjects.root,
    )
    async with command_service(settings, nats_url) as second:
        # Each instance decides on its own cache; only the stream's guard ties them.
        for _ in range(50):
            loop = ["a", "b", "c"]
            assert_no_loop(*await race(nats_client, service, loop, [service, second]), loop)
