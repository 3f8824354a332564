"""The event store against a real JetStream: append, load, concurrency, dedupe, immutability."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

import pytest
from nats.aio.client import Client

from events.envelope import Envelope
from events.goals import GoalArchived
from events.objectives import ObjectiveCreated
from events.values import AggregateType, Commitment, Cycle, Level
from services.adapters.event_store import ConcurrencyConflict, EventStore
from services.adapters.stream import IncompatibleServer, StreamSettings, ensure_stream

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def envelope(tenant: str, goal: str, version: int, payload: object | None = None) -> Envelope:
    return Envelope(
        event_id=uuid.uuid4(),
        event_type=(payload or GoalArchived()).event_type,  # type: ignore[attr-defined]
        schema_version=1,
        tenant_id=tenant,
        aggregate_type=AggregateType.OBJECTIVE,
        aggregate_id=goal,
        aggregate_version=version,
        occurred_at=NOW,
        recorded_at=NOW,
        actor="tester",
        correlation_id=uuid.uuid4(),
        causation_id=None,
        payload=payload or GoalArchived(reason=f"v{version}"),  # type: ignore[arg-type]
    )


def created(tenant: str, goal: str) -> Envelope:
    payload = ObjectiveCreated(
        title="Grow",
        level=Level.COMPANY,
        owner="ceo",
        cycle=Cycle.quarter("2026-q4"),
        commitment=Commitment.COMMITTED,
    )
    return envelope(tenant, goal, 1, payload)


async def test_appended_events_load_back_in_order(event_store: EventStore, tenant: str) -> None:
    first = await event_store.append([created(tenant, "g1")], expected_last_sequence=0)
    await event_store.append([envelope(tenant, "g1", 2)], first.last_sequence)
    await event_store.append([created(tenant, "other")], 0)

    loaded = await event_store.load(tenant, "objective", "g1")

    assert [e.envelope.aggregate_version for e in loaded] == [1, 2]
    assert loaded[0].envelope.payload.event_type == "objective.created"
    assert loaded[1].subject == event_store.subjects.event(
        tenant, "objective", "g1", "goal.archived"
    )


async def test_load_of_unknown_aggregate_is_empty(event_store: EventStore, tenant: str) -> None:
    assert await event_store.load(tenant, "objective", "nothing-here") == []


async def test_load_pages_past_one_direct_get_batch(event_store: EventStore, tenant: str) -> None:
    seq = (await event_store.append([created(tenant, "long")], 0)).last_sequence
    for version in range(2, 1206):
        seq = (await event_store.append([envelope(tenant, "long", version)], seq)).last_sequence

    loaded = await event_store.load(tenant, "objective", "long")

    assert [e.envelope.aggregate_version for e in loaded] == list(range(1, 1206))


async def test_stale_expected_sequence_is_rejected(event_store: EventStore, tenant: str) -> None:
    await event_store.append([created(tenant, "g1")], 0)

    with pytest.raises(ConcurrencyConflict):
        await event_store.append([envelope(tenant, "g1", 2)], expected_last_sequence=0)

    assert len(await event_store.load(tenant, "objective", "g1")) == 1


async def test_multi_event_append_is_all_or_nothing(event_store: EventStore, tenant: str) -> None:
    first = await event_store.append([created(tenant, "g1")], 0)
    batch = [envelope(tenant, "g1", 2), envelope(tenant, "g1", 3)]
    await event_store.append(batch, first.last_sequence)

    stale = [envelope(tenant, "g1", 4), envelope(tenant, "g1", 5)]
    with pytest.raises(ConcurrencyConflict):
        await event_store.append(stale, first.last_sequence)

    loaded = await event_store.load(tenant, "objective", "g1")
    assert [e.envelope.aggregate_version for e in loaded] == [1, 2, 3]


async def test_duplicate_msg_id_is_stored_once(event_store: EventStore, tenant: str) -> None:
    event = created(tenant, "g1")
    first = await event_store.append([event], 0)

    # A retry of the same event. JetStream checks the expected sequence before the
    # Msg-Id, so the resend that reaches dedupe is one whose expectation still holds.
    again = await event_store.append([event], expected_last_sequence=first.last_sequence)

    assert again.duplicate
    assert again.last_sequence == first.last_sequence
    assert len(await event_store.load(tenant, "objective", "g1")) == 1


async def test_two_concurrent_writers_exactly_one_wins(
    event_store: EventStore, tenant: str
) -> None:
    base = await event_store.append([created(tenant, "g1")], 0)
    writers = [
        event_store.append([envelope(tenant, "g1", 2)], base.last_sequence) for _ in range(2)
    ]

    results = await asyncio.gather(*writers, return_exceptions=True)

    assert sum(isinstance(r, ConcurrencyConflict) for r in results) == 1
    assert len(await event_store.load(tenant, "objective", "g1")) == 2


async def test_stream_refuses_delete_and_purge(
    event_store: EventStore, nats_client: Client, stream_settings: StreamSettings, tenant: str
) -> None:
    stored = await event_store.append([created(tenant, "g1")], 0)
    api = f"$JS.API.STREAM.MSG.DELETE.{stream_settings.name}"

    reply = await nats_client.request(api, json.dumps({"seq": stored.last_sequence}).encode())
    purge = await nats_client.request(f"$JS.API.STREAM.PURGE.{stream_settings.name}", b"{}")

    assert "not permitted" in json.loads(reply.data)["error"]["description"]
    assert "not permitted" in json.loads(purge.data)["error"]["description"]
    assert len(await event_store.load(tenant, "objective", "g1")) == 1


async def test_ensure_stream_is_idempotent(
    nats_client: Client, stream_settings: StreamSettings
) -> None:
    first = await ensure_stream(nats_client, stream_settings)
    second = await ensure_stream(nats_client, stream_settings)

    assert first.config.deny_delete
    assert second.config.deny_purge
    assert second.config.allow_atomic


async def test_start_up_refuses_a_stream_without_deny_delete(
    nats_client: Client, stream_settings: StreamSettings
) -> None:
    unsafe = stream_settings.config()
    unsafe.deny_delete = False
    await nats_client.jetstream().add_stream(unsafe)

    with pytest.raises(IncompatibleServer, match="deny_delete"):
        await ensure_stream(nats_client, stream_settings)
