"""The read side's rows: projection catch-up, the audit replay, query latencies, the peer."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
from nats.aio.client import Client

from benchmarks import peer, projectors, queries, replay
from benchmarks.common import fill, new_stream, rate, raw_ordered_replay
from benchmarks.registry import Bench, Figures, Row, measures, row
from benchmarks.workload import quarter
from events.personal import Sealing
from events.scoring_policy import ScoringPolicy
from projections.runner import Projector
from services.adapters.subject_keys import SubjectKeys
from services.settings import Settings


async def raw_copy(conn: asyncpg.Connection, schema: str, count: int) -> float:
    """Rows/s of asyncpg COPY of ``count`` progress-like rows into a bare table."""
    # Built here so that they are gone before the projector runs (not to weigh on its GC).
    rows = [(i, "bench", f"o{i % 1000}", 1.5, datetime.now(UTC)) for i in range(count)]
    return await rate(
        count, lambda: conn.copy_records_to_table("raw", records=rows, schema_name=schema)
    )


async def catch_up(nc: Client, database_url: str, events: int) -> Figures:
    """Projector catch-up over ``events`` events, beside raw ordered replay and raw COPY."""
    subjects, stream = await new_stream(nc)
    bucket = Settings(stream_name=stream).subject_keys
    keys = await SubjectKeys.open(nc, bucket)
    sealing = Sealing(await keys.key_for("bench", "bench-owner"), individual=True)
    stored = await fill(nc, subjects, quarter("bench", events), sealing=sealing)
    raw = await raw_ordered_replay(nc, subjects, stored)
    schema = f"bench_{subjects.root}"
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            f'CREATE SCHEMA "{schema}"; CREATE TABLE "{schema}".raw '
            "(seq bigint, tenant text, goal text, value float8, at timestamptz)"
        )
        copy = await raw_copy(conn, schema, stored)
        projector = Projector(nc, conn, stream, schema, ScoringPolicy(), keys=keys)
        projected = await rate(stored, lambda: projector.catch_up(timeout_s=3600))
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()
        await nc.jetstream().delete_stream(stream)
        await nc.jetstream().delete_stream(f"KV_{bucket}")
    return {"events": stored, "projector": projected, "raw_replay": raw, "raw_copy": copy}


@measures("catch_up_100k", "raw_replay_100k", "raw_copy_100k")
async def catch_up_row(b: Bench) -> Figures:
    """The projector over a ``--events`` stream into fresh read models."""
    got = await catch_up(b.nc, b.database_url, b.sizes.events)
    return {
        "catch_up_100k": got["projector"],
        "raw_replay_100k": got["raw_replay"],
        "raw_copy_100k": got["raw_copy"],
    }


@measures("catch_up_2_projectors", "catch_up_1_projector", "raw_replay_64_tenants")
async def projectors_row(b: Bench) -> Figures:
    """A ``--events`` stream of 64 tenants caught up by 1, then 2 worker processes."""
    got = await projectors.partitioned_catch_up(b.nc, b.nats_url, b.database_url, b.sizes.events)
    return {
        "catch_up_2_projectors": got["many"],
        "catch_up_1_projector": got["one"],
        "raw_replay_64_tenants": got["raw"],
    }


@measures("replay_1m_s", "raw_replay_1m_s", "replay_1m_rss_mb", rounds_inside=True)
async def replay_rows(b: Bench) -> list[Figures]:
    """One filled quarter, replayed once a round, each in a process of its own."""
    subjects, stream, stored = await replay.fill_quarter(b.nc, b.sizes.replay_events)
    workers = b.sizes.replay_workers or replay.default_workers()
    rounds = []
    try:
        for _ in range(b.sizes.repeats):
            raw = await raw_ordered_replay(b.nc, subjects, stored)
            got = await replay.replay_in_child(
                b.nats_url, b.database_url, stream, subjects.root, workers
            )
            rounds.append(
                {
                    "replay_1m_s": got["seconds"],
                    "raw_replay_1m_s": stored / raw,
                    "replay_1m_rss_mb": got["peak_mb"],
                }
            )
    finally:
        await b.nc.jetstream().delete_stream(stream)
    return rounds


QUERY_FIGURES = {
    "query_score_p50_ms": "score_p50_ms",
    "query_score_p99_ms": "score_p99_ms",
    "raw_row_p50_ms": "raw_row_p50_ms",
    "cascade_subtree_p50_ms": "subtree_p50_ms",
    "cascade_subtree_p99_ms": "subtree_p99_ms",
    "audit_log_p50_ms": "audit_p50_ms",
    "audit_log_p99_ms": "audit_p99_ms",
    "cascade_page_p50_ms": "page_p50_ms",
    "cascade_page_p99_ms": "page_p99_ms",
    "cascade_page_cold_p50_ms": "page_cold_p50_ms",
    "raw_cascade_page_p50_ms": "raw_page_p50_ms",
}


@measures(*QUERY_FIGURES)
async def query_rows(b: Bench) -> Figures:
    """HTTP query latencies on the read models of a ``--goals`` organisation."""
    got = await queries.query_latencies(b.nc, b.database_url, b.sizes.goals, b.sizes.requests)
    return {key: got[name] for key, name in QUERY_FIGURES.items()}


@measures(
    "peer_append", "peer_append_eventsourcing", "peer_projection", "peer_projection_eventsourcing"
)
async def peer_rows(b: Bench) -> Figures:
    """Ours and the eventsourcing library on the same workload."""
    s = b.sizes
    got = await peer.compare(
        b.nc, b.database_url, lambda: quarter("peer", s.peer_events), s.peer_in_flight
    )
    return {
        "peer_append": got["ours_append"],
        "peer_append_eventsourcing": got["peer_append"],
        "peer_projection": got["ours_project"],
        "peer_projection_eventsourcing": got["peer_project"],
    }


for spec in (
    Row(
        "catch_up_100k",
        "projection catch-up, 100k events",
        "events/s",
        "raw_replay_100k",
        ("raw_copy_100k",),
    ),
    Row("raw_replay_100k", "raw ordered replay, 100k events", "events/s"),
    Row("raw_copy_100k", "raw asyncpg COPY, as many rows", "rows/s"),
    Row(
        "catch_up_2_projectors",
        "catch-up by 2 worker processes, 64 tenants",
        "events/s",
        "catch_up_1_projector",
        ("raw_replay_64_tenants",),
    ),
    Row("catch_up_1_projector", "catch-up by 1 worker process, 64 tenants", "events/s"),
    Row("raw_replay_64_tenants", "raw ordered replay, the same stream", "events/s"),
    Row("replay_1m_s", "replay, 1M events: wall", "s", "raw_replay_1m_s"),
    Row("raw_replay_1m_s", "raw ordered replay, 1M events: wall", "s"),
    Row("replay_1m_rss_mb", "replay: peak RSS", "MB"),
    Row("query_score_p50_ms", "query: score p50", "ms", "raw_row_p50_ms"),
    Row("query_score_p99_ms", "query: score p99", "ms"),
    Row("raw_row_p50_ms", "raw asyncpg fetch of the goal row p50", "ms"),
    Row("cascade_subtree_p50_ms", "query: cascade subtree p50", "ms"),
    Row("cascade_subtree_p99_ms", "query: cascade subtree p99", "ms"),
    Row(
        "cascade_page_p50_ms",
        "query: cascade page of 100 p50",
        "ms",
        "raw_cascade_page_p50_ms",
        ("cascade_subtree_p50_ms",),
    ),
    Row("cascade_page_p99_ms", "query: cascade page of 100 p99", "ms"),
    Row(
        "cascade_page_cold_p50_ms",
        "cascade page, tree just changed p50",
        "ms",
        "raw_cascade_page_p50_ms",
    ),
    Row("raw_cascade_page_p50_ms", "raw recursive SQL of the first page p50", "ms"),
    Row("audit_log_p50_ms", "query: cycle audit log p50", "ms"),
    Row("audit_log_p99_ms", "query: cycle audit log p99", "ms"),
    Row("peer_append", "peer: append (ours)", "events/s", "peer_append_eventsourcing"),
    Row("peer_append_eventsourcing", "peer: append (eventsourcing 9.5)", "events/s"),
    Row("peer_projection", "peer: projection (ours)", "events/s", "peer_projection_eventsourcing"),
    Row("peer_projection_eventsourcing", "peer: projection (eventsourcing 9.5)", "events/s"),
):
    row(spec)


async def curve(b: Bench) -> list[Figures]:
    """Catch-up at each ``--curve`` size, for the plot."""
    return [await catch_up(b.nc, b.database_url, events) for events in b.sizes.curve]
