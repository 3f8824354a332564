"""Poison events written straight into a test stream, as anyone with publish rights could."""

from __future__ import annotations

import json
import uuid
from typing import Any

from nats.aio.client import Client

from events.envelope import Envelope, EventPayload
from events.objectives import ObjectiveCreated
from events.registry import REGISTRY
from events.subjects import Subjects
from events.values import AggregateType, Commitment, Cycle, Level

Q4 = Cycle.quarter("2026-q4")
AT = "2026-11-02T09:00:00Z"


def body_of(
    tenant: str, goal_id: str, payload: EventPayload, version: int = 1, **header: Any
) -> dict[str, Any]:
    """A valid envelope as JSON, to be spoiled by the caller."""
    envelope = Envelope(
        event_id=uuid.uuid4(),
        event_type=payload.event_type,
        schema_version=payload.schema_version,
        tenant_id=tenant,
        aggregate_type=AggregateType.OBJECTIVE,
        aggregate_id=goal_id,
        aggregate_version=version,
        occurred_at=AT,
        recorded_at=AT,
        actor="mallory",
        correlation_id=uuid.uuid4(),
        causation_id=None,
        payload=payload,
    )
    return {**json.loads(REGISTRY.encode(envelope)), **header}


def created(title: str = "Grow") -> ObjectiveCreated:
    """An objective's creation with ``title``."""
    return ObjectiveCreated(
        title=title, level=Level.TEAM, owner="lead", cycle=Q4, commitment=Commitment.COMMITTED
    )


def poison(kind: str, tenant: str) -> tuple[str, bytes]:
    """(aggregate id, body) of one kind of poison event for ``tenant``."""
    if kind == "not_json":
        return "px", b'{"event_type": "objective.created", "tenant_id": '
    if kind == "nul_text":
        body = body_of(tenant, "px", created())
        body["payload"]["title"] = "a\u0000b"  # PostgreSQL text cannot hold it
        return "px", json.dumps(body).encode()
    if kind == "unknown_version":
        body = body_of(tenant, "px", created(), schema_version=0)
        body["payload"]["name"] = body["payload"].pop("title")  # an old producer's field
        return "px", json.dumps(body).encode()
    if kind == "apply_raises":  # a check-in on a key result the objective never had
        body = body_of(tenant, "p1", created(), version=2)
        body.update(event_type="check_in.recorded", schema_version=2)
        body["payload"] = {"key_result_id": "ghost", "value": 1.0, "confidence": 0.5}
        body["payload"]["applies_at"] = AT
        return "p1", json.dumps(body).encode()
    raise ValueError(kind)


async def publish_poison(
    nc: Client, subjects: Subjects, tenant: str, kind: str, event_type: str = "objective.created"
) -> int:
    """Publish one poison event into the stream; returns its stream sequence."""
    goal_id, body = poison(kind, tenant)
    if kind == "apply_raises":
        event_type = "check_in.recorded"
    ack = await nc.jetstream().publish(
        subjects.event(tenant, "objective", goal_id, event_type), body
    )
    return int(ack.seq)
