"""A small sealed history, and the ways an attacker with the server's keys rewrites a copy."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace

from nats.aio.client import Client

from events.chain import event_hash
from events.subjects import HEADER_HASH
from services.adapters.event_store import EventStore
from services.adapters.stream import StreamSettings, ensure_stream
from tests.integration.test_event_store import created, envelope

# Positions of the tenant's events (stream order): three goals, interleaved.
ORDER = [("g1", 1), ("g2", 1), ("g3", 1), ("g1", 2), ("g2", 2), ("g3", 2), ("g1", 3), ("g2", 3)]


@dataclass(frozen=True)
class Stored:
    """One stored message as a tamperer copies it."""

    subject: str
    body: bytes
    hash: str


async def write_history(store: EventStore, tenant: str) -> None:
    """Append ORDER through the store, each goal's events chained."""
    last: dict[str, tuple[int, str]] = {}
    for goal, version in ORDER:
        event = created(tenant, goal) if version == 1 else envelope(tenant, goal, version)
        after, prev_hash = last.get(goal, (0, ""))
        result = await store.append([event], after, prev_hash)
        last[goal] = (result.last_sequence, result.stored[-1].hash or "")


async def recreate(nc: Client, settings: StreamSettings, history: list[Stored]) -> None:
    """Delete the event stream and store ``history`` in a new one of the same name."""
    js = nc.jetstream()
    await js.delete_stream(settings.name)
    await ensure_stream(nc, settings)
    for message in history:
        await js.publish(message.subject, message.body, headers={HEADER_HASH: message.hash})


def _changed(message: Stored) -> Stored:
    """The same event saying something else (its archive reason)."""
    body = message.body.replace(b'"reason":"v', b'"reason":"forged-v', 1)
    assert body != message.body
    return replace(message, body=body)


def _rehashed(message: Stored) -> Stored:
    prev_hash = json.loads(message.body).get("prev_hash") or ""
    return replace(message, hash=event_hash(prev_hash, message.body))


def _relinked(message: Stored, prev_hash: str) -> Stored:
    raw = json.loads(message.body)
    raw["prev_hash"] = prev_hash
    return _rehashed(replace(message, body=json.dumps(raw, separators=(",", ":")).encode()))


def altered_hash_kept(h: list[Stored]) -> list[Stored]:
    """g1's second event says something else; its stored hash is the old one."""
    return [*h[:3], _changed(h[3]), *h[4:]]


def altered_hash_recomputed(h: list[Stored]) -> list[Stored]:
    """g1's second event says something else, with an Okr-Hash that fits the new body."""
    return [*h[:3], _rehashed(_changed(h[3])), *h[4:]]


def last_event_dropped(h: list[Stored]) -> list[Stored]:
    """g1's last event is gone."""
    return [*h[:6], h[7]]


def last_event_rehashed(h: list[Stored]) -> list[Stored]:
    """g1's last event says something else, re-hashed (nothing links to it)."""
    return [*h[:6], _rehashed(_changed(h[6])), h[7]]


def aggregate_removed(h: list[Stored]) -> list[Stored]:
    """Goal g3 never existed."""
    return [m for i, m in enumerate(h) if ORDER[i][0] != "g3"]


def reordered(h: list[Stored]) -> list[Stored]:
    """g1's second and g2's second event trade places (each chain still holds)."""
    return [*h[:3], h[4], h[3], *h[5:]]


def one_value_rewritten(h: list[Stored]) -> list[Stored]:
    """g1's second event says something else and g1's chain is recomputed from there."""
    forged = _rehashed(_changed(h[3]))
    return [*h[:3], forged, *h[4:6], _relinked(h[6], forged.hash), h[7]]


Tampering = Callable[[list[Stored]], list[Stored]]
