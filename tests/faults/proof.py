"""Proofs by counting: the stream holds every accepted event exactly once, and the read
models equal a fresh replay of the stream, row for row."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
from nats.aio.client import Client

from events.envelope import StoredEvent
from events.scoring_policy import ScoringPolicy
from events.subjects import Subjects
from projections.audit.consistency import Difference, compare
from projections.read_models import progress
from projections.runner import PROJECTION_NAME, Projector
from projections.tables import PARTITION_CHECKPOINTS
from services.adapters.event_store import EventStore
from services.domain.ids import command_event_id
from tests.faults.load import Ledger

PROGRESS_EVENTS = frozenset({"check_in.recorded", "progress.reported"})


@dataclass
class Figures:
    """One scenario's counts, as docs/reliability.md tabulates them."""

    scenario: str
    profile: str
    faults: str
    commands_sent: int = 0
    commands_accepted: int = 0
    commands_refused: int = 0
    events_accepted: int = 0
    events_stored: int = 0
    events_projected: int = 0
    lost: int = 0
    duplicated: int = 0
    unsettled: int = 0
    retryable_replies: dict[str, int] = field(default_factory=dict)
    refusals: dict[str, int] = field(default_factory=dict)  # final refusals, by code
    slowest_reply_s: float = 0.0
    seconds: float = 0.0
    notes: str = ""

    def row(self) -> dict[str, Any]:
        """A flat dict for the summary table and the figures file."""
        return asdict(self)


async def stored_events(nc: Client, stream: str, subjects: Subjects) -> list[StoredEvent]:
    """Every event of the stream, read back from JetStream and decoded."""
    store = EventStore(nc, stream, subjects, timeout_s=30.0)
    events = await store.load_matching(subjects.all_events())
    info = await nc.jetstream().stream_info(stream)
    # The read-back must be the whole stream, or the counts below prove nothing.
    assert len(events) == info.state.messages == info.state.last_seq, (
        f"read {len(events)} events, stream holds {info.state.messages} "
        f"(last sequence {info.state.last_seq})"
    )
    return events


def expected_event_ids(ledger: Ledger) -> set[UUID]:
    """The event ids the accepted commands must have stored.

    An accepting reply lists them; a reply that says ``duplicate`` (an earlier attempt
    of the same command id was stored, its reply lost) lists none, but the command's
    first event id is derived from its command id and its target.
    """
    ids: set[UUID] = set()
    for o in ledger.accepted():
        first = command_event_id(o.tenant, *o.aggregate, o.command_id, 0)
        ids.update(o.event_ids or (first,))
    return ids


def prove_stream(ledger: Ledger, events: list[StoredEvent], figures: Figures) -> None:
    """Count: accepted events stored exactly once, nothing else stored, versions gapless."""
    ids = Counter(e.envelope.event_id for e in events)
    expected = expected_event_ids(ledger)
    accepted_commands = {o.command_id for o in ledger.accepted()}
    figures.commands_sent = ledger.sent
    figures.commands_accepted = len(accepted_commands)
    figures.commands_refused = sum(1 for o in ledger.outcomes.values() if o.refused)
    figures.unsettled = sum(1 for o in ledger.outcomes.values() if not o.settled)
    figures.events_accepted = len(expected)
    figures.events_stored = len(events)
    figures.lost = len(expected - ids.keys())
    figures.duplicated = sum(n - 1 for n in ids.values() if n > 1)
    figures.retryable_replies = dict(ledger.retryable_replies())
    figures.refusals = dict(Counter(o.refused.value for o in ledger.outcomes.values() if o.refused))
    figures.slowest_reply_s = round(ledger.slowest_reply_s(), 2)
    # Stored but never accepted: a refused (or abandoned) command left a write behind.
    strays = [e for e in events if e.envelope.causation_id not in accepted_commands]
    # Each command's events in the stream: a command counted twice shows here too.
    by_command = Counter(e.envelope.causation_id for e in events)
    twice = [c for c in accepted_commands if by_command[c] != _events_of(ledger, c)]
    versions: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for e in events:
        env = e.envelope
        versions[(env.tenant_id, env.aggregate_type.value, env.aggregate_id)].append(
            env.aggregate_version
        )
    gaps = {k: v for k, v in versions.items() if v != list(range(1, len(v) + 1))}

    assert figures.unsettled == 0, "some commands never got a final answer"
    assert figures.lost == 0, f"{figures.lost} accepted events are missing from the stream"
    assert figures.duplicated == 0, f"{figures.duplicated} events are stored twice"
    assert not strays, f"{len(strays)} stored events belong to no accepted command"
    assert not twice, f"{len(twice)} commands stored a different number of events than once"
    assert not gaps, f"aggregate versions not gapless: {list(gaps.items())[:3]}"
    assert figures.events_stored == figures.events_accepted


def _events_of(ledger: Ledger, command_id: UUID) -> int:
    # Every command of the fault workloads yields exactly one event.
    outcome = ledger.outcomes[command_id]
    return len(outcome.event_ids) or 1


async def checkpoint(conn: asyncpg.Connection, schema: str) -> int:
    """The live projection's slowest partition checkpoint (0 before its first batch)."""
    table = f'"{schema}".{PARTITION_CHECKPOINTS}'
    if await conn.fetchval("SELECT to_regclass($1)", table) is None:
        return 0
    found = await conn.fetchval(
        f"SELECT min(last_sequence) FROM {table} WHERE projection = $1", PROJECTION_NAME
    )
    return int(found or 0)


async def wait_for_checkpoint(
    database_url: str, schema: str, head: int, timeout_s: float = 60.0
) -> int:
    """Poll (on a fresh connection) until the live projection reaches ``head``."""
    conn = await asyncpg.connect(database_url)
    try:
        deadline = time.monotonic() + timeout_s
        while (done := await checkpoint(conn, schema)) < head:
            assert time.monotonic() < deadline, f"projection stuck at {done} of {head}"
            await asyncio.sleep(0.1)
        return done
    finally:
        await conn.close()


async def prove_projection(
    nc: Client,
    database_url: str,
    stream: str,
    live_schema: str,
    events: list[StoredEvent],
    figures: Figures,
    timeout_s: float = 60.0,
) -> None:
    """The live read models reach the stream head and equal a fresh replay row for row."""
    head = events[-1].stream_sequence if events else 0
    figures.events_projected = await wait_for_checkpoint(database_url, live_schema, head, timeout_s)
    replay_schema = f"{live_schema}_replay"
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{replay_schema}" CASCADE')
        replayer = Projector(nc, conn, stream, replay_schema, ScoringPolicy(), name="fault_replay")
        try:
            await replayer.catch_up(timeout_s=timeout_s)
        finally:
            with contextlib.suppress(Exception):
                await nc.jetstream().delete_consumer(stream, replayer.durable)
        differences: list[Difference] = []
        tenants = sorted({e.envelope.tenant_id for e in events})
        for tenant in tenants:
            differences += await compare(conn, live_schema, replay_schema, tenant)
        progress_rows = await conn.fetchval(
            f'SELECT count(*) FROM "{live_schema}".{progress.TABLE}'
        )
    finally:
        with contextlib.suppress(Exception):
            await conn.execute(f'DROP SCHEMA IF EXISTS "{replay_schema}" CASCADE')
        await conn.close()
    progress_events = sum(1 for e in events if e.envelope.event_type in PROGRESS_EVENTS)

    assert figures.events_projected == head
    assert not differences, f"live read models differ from the replay: {differences[:5]}"
    # Live and replay run the same code; counting rows against events guards that code too.
    assert progress_rows == progress_events, (
        f"{progress_events} check-in/progress events, {progress_rows} progress rows"
    )
