"""Measures the service beside the raw limits and a peer, in one run; prints medians.

    python -m benchmarks.run [--repeats 3] [--events 100000] [--replay-events 1000000] ...
    python -m benchmarks.run --smoke          tiny sizes: every row, in seconds

Servers: OKR_NATS_URL / OKR_DATABASE_URL if set, else the bundled ones (fresh data dir).
Each row is measured ``repeats`` times; the table shows medians, each beside the raw
limit measured in the same run (see docs/benchmarks.md for what each one means).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import asyncpg
import nats
from nats.aio.client import Client

from benchmarks import peer, queries, replay, service_rows
from benchmarks.common import Row, fill, new_stream, rate, raw_ordered_replay, raw_publish
from benchmarks.workload import quarter
from events.scoring_policy import ScoringPolicy
from projections.runner import Projector
from services.adapters.servers import resolve_servers
from services.settings import Settings

# A connector's sync: reports spread over many goals, several messages in flight.
INGEST_BATCH = 100
INGEST_BATCHES_IN_FLIGHT = 4
ROWS = (
    "ingest",
    "check-in latency",
    "check-ins, 64 in flight",
    "projection catch-up",
    "replay",
    "query: score",
    "query: cascade subtree",
    "query: cycle audit log",
    "peer: append",
    "peer: projection",
)


@dataclass(frozen=True)
class Sizes:
    """How much work each row does."""

    repeats: int = 3
    commands: int = 2000
    ingest: int = 4000
    in_flight: int = 64
    events: int = 100_000
    replay_events: int = 1_000_000
    goals: int = 10_000
    requests: int = 200
    peer_events: int = 20_000
    peer_in_flight: int = 16
    curve: tuple[int, ...] = ()  # extra catch-up sizes, for the plot


SMOKE = Sizes(
    repeats=1,
    commands=20,
    ingest=64,
    in_flight=8,
    events=1500,
    replay_events=1500,
    goals=60,
    requests=5,
    peer_events=300,
    peer_in_flight=4,
)


async def raw_copy(conn: asyncpg.Connection, schema: str, count: int) -> float:
    """Rows/s of asyncpg COPY of ``count`` progress-like rows into a bare table."""
    # Built here so that they are gone before the projector runs (not to weigh on its GC).
    rows = [(i, "bench", f"o{i % 1000}", 1.5, datetime.now(UTC)) for i in range(count)]
    return await rate(
        count, lambda: conn.copy_records_to_table("raw", records=rows, schema_name=schema)
    )


async def catch_up(nc: Client, database_url: str, events: int) -> Row:
    """Projector catch-up over ``events`` events, beside raw ordered replay and raw COPY."""
    subjects, stream = await new_stream(nc)
    stored = await fill(nc, subjects, quarter("bench", events))
    raw = await raw_ordered_replay(nc, subjects, stored)
    schema = f"bench_{subjects.root}"
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            f'CREATE SCHEMA "{schema}"; CREATE TABLE "{schema}".raw '
            "(seq bigint, tenant text, goal text, value float8, at timestamptz)"
        )
        copy = await raw_copy(conn, schema, stored)
        projector = Projector(nc, conn, stream, schema, ScoringPolicy())
        projected = await rate(stored, lambda: projector.catch_up(timeout_s=3600))
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()
        await nc.jetstream().delete_stream(stream)
    return {"events": stored, "projector": projected, "raw_replay": raw, "raw_copy": copy}


async def replay_rows(nc: Client, nats_url: str, database_url: str, sizes: Sizes) -> list[Row]:
    """One filled quarter, replayed ``repeats`` times, each in a process of its own."""
    subjects, stream, stored = await replay.fill_quarter(nc, sizes.replay_events)
    rows = []
    try:
        for _ in range(sizes.repeats):
            raw = await raw_ordered_replay(nc, subjects, stored)
            row = await replay.replay_in_child(nats_url, database_url, stream, subjects.root)
            rows.append(row | {"raw_seconds": stored / raw})
    finally:
        await nc.jetstream().delete_stream(stream)
    return rows


@dataclass
class Results:
    """Every measurement of one run, by row."""

    sizes: Sizes
    ingest: list[Row]
    raw_ingest: list[Row]
    ingest_batched: list[Row]
    raw_ingest_batched: list[Row]
    single: list[Row]
    raw_single: list[Row]
    parallel: list[Row]
    raw_parallel: list[Row]
    projection: list[Row]
    replays: list[Row]
    queries: list[Row]
    peer: list[Row]
    curve: list[Row]


def med(rows: Sequence[Row], key: str) -> float:
    """The median of ``key`` over ``rows``."""
    return statistics.median(r[key] for r in rows)


def table(r: Results) -> str:
    """The medians as a text table, one line per row of ``ROWS``."""
    s = r.sizes
    lines = [f"{'measure':<46}{'ours':>14}{'raw / peer':>14}{'ratio':>8}  unit"]

    def number(value: float) -> str:
        decimals = 2 if value < 10 else 1 if value < 100 else 0
        return f"{value:,.{decimals}f}"

    def line(name: str, ours: float, raw: float | None, unit: str, ratio: float | None) -> None:
        raw_text = "-" if raw is None else number(raw)
        ratio_text = "" if ratio is None else f"{ratio:.0%}" if ratio < 1.5 else f"{ratio:.1f}x"
        lines.append(f"{name:<46}{number(ours):>14}{raw_text:>14}{ratio_text:>8}  {unit}")

    ing, raw_ing = med(r.ingest, "rate"), med(r.raw_ingest, "rate")
    line(f"{ROWS[0]} ({s.in_flight} in flight)", ing, raw_ing, "reports/s", ing / raw_ing)
    bat, raw_bat = med(r.ingest_batched, "rate"), med(r.raw_ingest_batched, "rate")
    line(
        f"  batches of {INGEST_BATCH}, {INGEST_BATCHES_IN_FLIGHT} in flight",
        bat,
        raw_bat,
        "reports/s",
        bat / raw_bat,
    )
    p50, p99 = med(r.single, "p50_ms"), med(r.single, "p99_ms")
    line(f"{ROWS[1]} p50 (1 in flight)", p50, None, "ms", None)
    line(f"{ROWS[1]} p99", p99, None, "ms", None)
    one, raw_one = med(r.single, "rate"), med(r.raw_single, "rate")
    line("check-ins, 1 in flight", one, raw_one, "commands/s", one / raw_one)
    par, raw_par = med(r.parallel, "rate"), med(r.raw_parallel, "rate")
    line(f"{ROWS[2]}", par, raw_par, "commands/s", par / raw_par)
    proj, rep = med(r.projection, "projector"), med(r.projection, "raw_replay")
    events = int(r.projection[0]["events"])
    line(f"{ROWS[3]}, {events:,} events", proj, rep, "events/s", proj / rep)
    copy = med(r.projection, "raw_copy")
    line("  beside raw asyncpg COPY", proj, copy, "rows/s", proj / copy)
    replayed = int(r.replays[0]["events"])
    secs, raw_secs = med(r.replays, "seconds"), med(r.replays, "raw_seconds")
    line(f"{ROWS[4]}, {replayed:,} events: wall", secs, raw_secs, "s", raw_secs / secs)
    line(f"{ROWS[4]}: peak RSS", med(r.replays, "peak_mb"), None, "MB", None)
    goals = int(r.queries[0]["goals"])
    for name, key in ((ROWS[5], "score"), (ROWS[6], "subtree"), (ROWS[7], "audit")):
        label = f"{name}, {goals:,} goals"
        raw_p50 = med(r.queries, "raw_row_p50_ms") if key == "score" else None
        line(f"{label} p50", med(r.queries, f"{key}_p50_ms"), raw_p50, "ms", None)
        line(f"{label} p99", med(r.queries, f"{key}_p99_ms"), None, "ms", None)
    peer_events = int(r.peer[0]["events"])
    ours_a, peer_a = med(r.peer, "ours_append"), med(r.peer, "peer_append")
    line(f"{ROWS[8]}, {peer_events:,} events", ours_a, peer_a, "events/s", ours_a / peer_a)
    ours_p, peer_p = med(r.peer, "ours_project"), med(r.peer, "peer_project")
    line(f"{ROWS[9]}, same events", ours_p, peer_p, "events/s", ours_p / peer_p)
    for point in r.curve:
        line(
            f"  catch-up curve, {int(point['events']):,} events",
            point["projector"],
            point["raw_replay"],
            "events/s",
            point["projector"] / point["raw_replay"],
        )
    return "\n".join(lines)


def environment() -> dict[str, str]:
    """Versions of what was measured, for the record."""
    names = ("nats-py", "asyncpg", "pydantic", "faststream", "eventsourcing", "psycopg")
    return {"python": platform.python_version(), **{n: version(n) for n in names}}


async def measure(sizes: Sizes, nats_url: str, database_url: str) -> Results:
    """Every row ``sizes.repeats`` times."""
    nc = await nats.connect(nats_url)
    r = Results(sizes, *([] for _ in range(13)))
    try:
        for round_ in range(1, sizes.repeats + 1):
            r.ingest.append(
                await service_rows.ingest(
                    nc, nats_url, sizes.ingest, sizes.in_flight, 4 * sizes.in_flight
                )
            )
            size = int(r.ingest[-1]["event_bytes"])
            raw = await raw_publish(nc, sizes.ingest, sizes.in_flight, size)
            r.raw_ingest.append({"rate": raw})
            r.ingest_batched.append(
                await service_rows.ingest(
                    nc, nats_url, sizes.ingest, INGEST_BATCHES_IN_FLIGHT, 256, INGEST_BATCH
                )
            )
            reports_in_flight = INGEST_BATCH * INGEST_BATCHES_IN_FLIGHT
            raw = await raw_publish(nc, sizes.ingest, reports_in_flight, size)
            r.raw_ingest_batched.append({"rate": raw})
            r.single.append(await service_rows.check_ins(nc, nats_url, sizes.commands, 1))
            size = int(r.single[-1]["event_bytes"])
            r.raw_single.append({"rate": await raw_publish(nc, sizes.commands, 1, size)})
            r.parallel.append(await service_rows.check_ins(nc, nats_url, sizes.commands * 4, 64))
            r.raw_parallel.append({"rate": await raw_publish(nc, sizes.commands * 4, 64, size)})
            r.projection.append(await catch_up(nc, database_url, sizes.events))
            r.queries.append(
                await queries.query_latencies(nc, database_url, sizes.goals, sizes.requests)
            )
            r.peer.append(
                await peer.compare(
                    nc,
                    database_url,
                    lambda: quarter("peer", sizes.peer_events),
                    sizes.peer_in_flight,
                )
            )
            print(f"round {round_}/{sizes.repeats} done", flush=True)
        r.replays = await replay_rows(nc, nats_url, database_url, sizes)
        for events in sizes.curve:
            r.curve.append(await catch_up(nc, database_url, events))
    finally:
        await nc.close()
    return r


async def main(sizes: Sizes, json_out: Path | None, plot: Path | None) -> str:
    """Measure, print the table, and write the JSON record and the plot if asked."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Settings.from_env()
        settings = Settings(
            nats_url=base.nats_url, database_url=base.database_url, data_dir=Path(tmp)
        )
        async with resolve_servers(settings) as (nats_url, database_url):
            results = await measure(sizes, nats_url, database_url)
    text = table(results)
    print(f"\nmedians of {sizes.repeats} rounds (machine busy: other jobs share the cores)")
    print(text, flush=True)
    if json_out is not None:
        record = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": environment(),
            "results": asdict(results),
            "table": text,
        }
        await asyncio.to_thread(json_out.write_text, json.dumps(record, indent=1))
    if plot is not None and results.curve:
        from benchmarks.plot import plot_curve  # matplotlib only when a plot is asked for

        plot_curve(results.curve, plot)
    return text


def cli(argv: Sequence[str] | None = None) -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (tests use this)")
    defaults = Sizes()
    for field in asdict(defaults):
        if field == "curve":
            continue
        parser.add_argument(f"--{field.replace('_', '-')}", type=int, default=None)
    parser.add_argument(
        "--curve", default=None, help="extra catch-up sizes for the plot, e.g. 10000,30000"
    )
    parser.add_argument("--json", type=Path, default=None, help="write every figure here")
    parser.add_argument("--plot", type=Path, default=None, help="write the catch-up plot here")
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else defaults
    given = ((f, getattr(args, f, None)) for f in asdict(defaults) if f != "curve")
    chosen: dict[str, int] = {f: v for f, v in given if v is not None}
    sizes = replace(sizes, **chosen)  # type: ignore[arg-type]  # the int fields, by name
    if args.curve:
        sizes = replace(sizes, curve=tuple(int(n) for n in args.curve.split(",")))
    asyncio.run(main(sizes, args.json, args.plot))


if __name__ == "__main__":
    cli()
