"""Point-in-time replay: one tenant's read models as of an instant, in a schema of their own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import asyncpg

from events.envelope import Envelope, StoredEvent
from events.registry import REGISTRY
from projections.scoring import ScoringPolicy
from projections.writer import ProjectionWriter, check_schema
from services.store.event_store import EventStore

Basis = Literal["occurred", "recorded"]
Progress = Callable[[int, int], None]  # events read, events selected
REPLAY_PROJECTION = "replay"


def known_at(envelope: Envelope, as_of: datetime, basis: Basis) -> bool:
    """Whether the event belongs to the world as of ``as_of``.

    occurred: it had happened by then (business time); recorded: the system had been
    told by then. A back-dated check-in is in the first and not yet in the second.
    """
    instant = envelope.occurred_at if basis == "occurred" else envelope.recorded_at
    return instant <= as_of


@dataclass(frozen=True)
class Replayed:
    """A finished replay: where its read models are and which events built them."""

    schema: str
    events: tuple[StoredEvent, ...]
    events_read: int


async def replay_tenant(
    store: EventStore,
    conn: asyncpg.Connection,
    tenant: str,
    as_of: datetime,
    basis: Basis,
    schema: str,
    policy: ScoringPolicy | None = None,
    progress: Progress | None = None,
) -> Replayed:
    """Project the tenant's events known at ``as_of`` into ``schema`` (made afresh).

    The live read models are never touched. If the replay is interrupted (cancelled or
    failed), its schema is dropped: no half-built replay is left for anyone to read.
    """
    check_schema(schema)
    await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    writer = ProjectionWriter(conn, schema, REPLAY_PROJECTION, policy or ScoringPolicy())
    selected: list[StoredEvent] = []
    read = 0
    try:
        await writer.open()
        async for batch in store.scan(store.subjects.tenant(tenant)):
            read += len(batch)
            chosen = [
                stored
                for stored in (
                    REGISTRY.decode_stored(m.sequence, m.subject, m.body, m.hash) for m in batch
                )
                if known_at(stored.envelope, as_of, basis)
            ]
            await writer.write(chosen, selection=True)
            selected.extend(chosen)
            if progress is not None:
                progress(read, len(selected))
    except BaseException:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        raise
    return Replayed(schema, tuple(selected), read)
