"""Tamper evidence against a real JetStream: intact chains pass; each kind of damage is found."""

from __future__ import annotations

import json

import pytest
from nats.aio.client import Client

from events.chain import event_hash
from events.registry import REGISTRY
from events.subjects import HEADER_HASH
from projections.audit.verify import verify_log
from projections.consumer import EventLog
from services.adapters.event_store import EventStore
from tests.integration.test_event_store import created, envelope

pytestmark = pytest.mark.integration


async def chain_of(store: EventStore, tenant: str, goal: str, versions: int) -> list[str]:
    """Append ``versions`` events to one goal through the store; return their hashes."""
    result = await store.append([created(tenant, goal)], 0)
    hashes = [result.stored[-1].hash or ""]
    for version in range(2, versions + 1):
        result = await store.append(
            [envelope(tenant, goal, version)], result.last_sequence, hashes[-1]
        )
        hashes.append(result.stored[-1].hash or "")
    return hashes


async def publish_raw(
    nc: Client,
    store: EventStore,
    tenant: str,
    goal: str,
    version: int,
    prev_hash: str,
    stored_hash: str | None = None,
) -> int:
    """Store an event behind the service's back, as a tamperer would."""
    event = envelope(tenant, goal, version).model_copy(update={"prev_hash": prev_hash})
    body = REGISTRY.encode(event)
    subject = store.subjects.event(tenant, "objective", goal, event.event_type)
    headers = {HEADER_HASH: stored_hash or event_hash(prev_hash, body)}
    ack = json.loads((await nc.request(subject, body, headers=headers)).data)
    return int(ack["seq"])


async def test_an_intact_log_verifies_and_its_heads_are_stable(
    event_store: EventStore, event_log: EventLog, tenant: str
) -> None:
    await chain_of(event_store, tenant, "g1", 4)
    await chain_of(event_store, tenant, "g2", 2)

    first = await verify_log(event_log, event_log.subjects.tenant(tenant))
    again = await verify_log(event_log, event_log.subjects.tenant(tenant))

    assert first.ok
    assert first.events_checked == 6
    assert first.tenant_heads == again.tenant_heads
    await chain_of(event_store, tenant, "g3", 1)
    assert (await verify_log(event_log, event_log.subjects.tenant(tenant))).tenant_heads != (
        first.tenant_heads
    )


async def test_altered_missing_and_duplicated_events_are_found_where_they_are(
    event_store: EventStore, event_log: EventLog, nats_client: Client, tenant: str
) -> None:
    altered_chain = await chain_of(event_store, tenant, "altered", 3)
    missing_chain = await chain_of(event_store, tenant, "missing", 2)
    duplicated_chain = await chain_of(event_store, tenant, "dup", 2)

    altered_at = await publish_raw(
        nats_client, event_store, tenant, "altered", 4, altered_chain[-1], stored_hash="0" * 64
    )
    missing_at = await publish_raw(
        nats_client, event_store, tenant, "missing", 4, missing_chain[-1]
    )  # version 3 never stored
    # A second version 2, linked where the first one was: the same place in the chain twice.
    duplicated_at = await publish_raw(
        nats_client, event_store, tenant, "dup", 2, duplicated_chain[0]
    )

    report = await verify_log(event_log, event_log.subjects.tenant(tenant))

    assert not report.ok
    found = [(f.problem, f.stream_sequence, f.aggregate_version) for f in report.findings]
    assert found == [
        ("altered", altered_at, 4),
        ("missing", missing_at, 4),
        ("duplicated", duplicated_at, 2),
    ]
    assert report.first is not None
    assert report.first.subject.endswith(".objective.altered.goal.archived")


async def test_a_broken_link_is_found(
    event_store: EventStore, event_log: EventLog, nats_client: Client, tenant: str
) -> None:
    await chain_of(event_store, tenant, "g1", 2)
    linked_to_nothing = await publish_raw(nats_client, event_store, tenant, "g1", 3, "f" * 64)

    report = await verify_log(event_log, event_log.subjects.tenant(tenant))

    # Both events hash as stored: which one was rewritten and re-hashed the chain cannot
    # tell, so the one before the link is named first (where a re-hash is found).
    assert [(f.problem, f.stream_sequence) for f in report.findings] == [
        ("rehashed", linked_to_nothing - 1),
        ("broken_link", linked_to_nothing),
    ]


async def test_a_tenant_without_events_verifies_empty(event_log: EventLog) -> None:
    report = await verify_log(event_log, event_log.subjects.tenant("nobody-here"))

    assert report.ok
    assert (report.events_checked, report.tenant_heads) == (0, {})
