"""Measures the service beside raw nats-py and asyncpg, in one run; prints medians.

    python -m benchmarks.run [--commands 2000] [--events 100000] [--repeats 3]

Servers: OKR_NATS_URL / OKR_DATABASE_URL if set, else the bundled ones (fresh data dir).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import nats
from nats.aio.client import Client

from benchmarks.workload import CYCLE, quarter
from events.registry import REGISTRY
from events.subjects import Subjects
from projections.runner import Projector
from services.client import OkrClient
from services.embedded import resolve_servers
from services.runtime import command_service
from services.settings import Settings
from services.store.stream import StreamSettings, ensure_stream

Row = dict[str, float]


def _fresh() -> tuple[Subjects, str]:
    root = f"b{uuid.uuid4().hex[:10]}"
    return Subjects(root), f"BENCH_{root.upper()}"


async def _rate(count: int, run: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await run()
    return count / (time.perf_counter() - started)


async def raw_publish(nc: Client, count: int, in_flight: int, size: int) -> float:
    """Raw JetStream publishes of ``size`` bytes with ``in_flight`` awaiting acks."""
    subjects, stream = _fresh()
    await ensure_stream(nc, StreamSettings(stream, subjects))
    js = nc.jetstream()
    body = b"x" * size

    async def worker(n: int) -> None:
        for i in range(n):
            await js.publish(subjects.event("raw", "objective", f"g{i % 97}", "raw.event"), body)

    share = count // in_flight
    rate = await _rate(
        share * in_flight, lambda: asyncio.gather(*[worker(share) for _ in range(in_flight)])
    )
    await js.delete_stream(stream)
    return rate


async def service_commands(nc: Client, nats_url: str, count: int, in_flight: int) -> Row:
    """Check-ins through the command service, ``in_flight`` clients on separate goals."""
    subjects, stream = _fresh()
    settings = Settings(nats_url=nats_url, stream_name=stream, subject_root=subjects.root)
    now = datetime(2026, 11, 2, tzinfo=UTC).isoformat()
    async with command_service(settings, nats_url):
        okr = OkrClient(nc, "bench", "bench", subjects)
        for g in range(in_flight):
            await okr.execute(
                "create_objective",
                objective_id=f"g{g}",
                title="Bench",
                level="team",
                owner="o",
                cycle=CYCLE.model_dump(mode="json"),
                meta={"now": now},
            )
            await okr.execute(
                "add_key_result",
                objective_id=f"g{g}",
                key_result_id="kr",
                meta={"now": now},
                terms={
                    "title": "KR",
                    "weight": 1,
                    "metric": {"kind": "numeric", "baseline": 0, "target": 100},
                },
            )
        latencies: list[float] = []

        async def client(g: int, n: int) -> None:
            for i in range(n):
                started = time.perf_counter()
                await okr.execute(
                    "record_check_in",
                    goal_type="objective",
                    goal_id=f"g{g}",
                    key_result_id="kr",
                    value=i % 100,
                    confidence=0.5,
                    meta={"now": now},
                )
                latencies.append(time.perf_counter() - started)

        share = count // in_flight
        rate = await _rate(
            share * in_flight, lambda: asyncio.gather(*[client(g, share) for g in range(in_flight)])
        )
        size = len(
            (
                await nc.jetstream().get_last_msg(
                    stream, subjects.aggregate("bench", "objective", "g0")
                )
            ).data
            or b""
        )
    await nc.jetstream().delete_stream(stream)
    latencies.sort()
    return {
        "rate": rate,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)],
        "event_bytes": size,
    }


async def catch_up(nc: Client, database_url: str, events: int) -> Row:
    """Projector catch-up over ``events`` events, beside raw ordered replay and raw COPY."""
    subjects, stream = _fresh()
    await ensure_stream(nc, StreamSettings(stream, subjects))
    js = nc.jetstream()
    batch: list[Awaitable[Any]] = []
    stored = 0
    for envelope in quarter("bench", events):
        subject = subjects.event("bench", "objective", envelope.aggregate_id, envelope.event_type)
        batch.append(js.publish(subject, REGISTRY.encode(envelope)))
        stored += 1
        if len(batch) == 500:
            await asyncio.gather(*batch)
            batch = []
    await asyncio.gather(*batch)

    async def ordered_replay() -> None:
        done = asyncio.Event()
        seen = 0

        async def count(msg: Any) -> None:
            nonlocal seen
            seen += 1
            if seen == stored:
                done.set()

        sub = await js.subscribe(subjects.stream_subjects()[0], ordered_consumer=True, cb=count)
        await done.wait()
        await sub.unsubscribe()

    replay = await _rate(stored, ordered_replay)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            f'CREATE SCHEMA "{schema}"; CREATE TABLE "{schema}".raw '
            "(seq bigint, tenant text, goal text, value float8, at timestamptz)"
        )
        rows = [(i, "bench", f"o{i % 1000}", 1.5, datetime.now(UTC)) for i in range(stored)]
        copy = await _rate(
            stored, lambda: conn.copy_records_to_table("raw", records=rows, schema_name=schema)
        )
        projector = Projector(nc, conn, stream, schema)
        catch = await _rate(stored, lambda: projector.catch_up(timeout_s=3600))
    finally:
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.close()
        await js.delete_stream(stream)
    return {"events": stored, "projector": catch, "raw_replay": replay, "raw_copy": copy}


def _median(rows: list[Row], key: str) -> float:
    return statistics.median(r[key] for r in rows)


async def main(commands: int, events: int, repeats: int) -> None:
    """Run every measurement ``repeats`` times and print medians with ratios."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env()
        settings = Settings(
            nats_url=settings.nats_url, database_url=settings.database_url, data_dir=Path(tmp)
        )
        async with resolve_servers(settings) as (nats_url, database_url):
            nc = await nats.connect(nats_url)
            single, parallel, projection, raw1, raw64 = [], [], [], [], []
            for round_ in range(1, repeats + 1):
                single.append(await service_commands(nc, nats_url, commands, 1))
                size = int(single[-1]["event_bytes"])
                raw1.append({"rate": await raw_publish(nc, commands, 1, size)})
                parallel.append(await service_commands(nc, nats_url, commands * 4, 64))
                raw64.append({"rate": await raw_publish(nc, commands * 4, 64, size)})
                projection.append(await catch_up(nc, database_url, events))
                print(f"round {round_}/{repeats} done", flush=True)
            await nc.close()
    s1, r1 = _median(single, "rate"), _median(raw1, "rate")
    s64, r64 = _median(parallel, "rate"), _median(raw64, "rate")
    proj = _median(projection, "projector")
    replay, copy = _median(projection, "raw_replay"), _median(projection, "raw_copy")
    print(f"\nmedians of {repeats} rounds; event size {int(single[0]['event_bytes'])} B")
    print(f"{'measure':<48}{'service':>12}{'raw':>12}{'ratio':>8}")
    print(f"{'commands, 1 in flight (check-ins/s)':<48}{s1:>12,.0f}{r1:>12,.0f}{s1 / r1:>8.0%}")
    print(
        f"{'  latency p50 / p99 (ms)':<48}{_median(single, 'p50_ms'):>12.2f}"
        f"{_median(single, 'p99_ms'):>12.2f}"
    )
    print(
        f"{'commands, 64 in flight (check-ins/s)':<48}{s64:>12,.0f}{r64:>12,.0f}{s64 / r64:>8.0%}"
    )
    label = f"projector catch-up, {int(projection[0]['events'])} events (ev/s)"
    print(f"{label:<48}{proj:>12,.0f}{replay:>12,.0f}{proj / replay:>8.0%}  (raw = ordered replay)")
    print(
        f"{'raw asyncpg COPY of the same count (rows/s)':<48}{'':>12}{copy:>12,.0f}"
        f"{proj / copy:>8.0%}"
    )


def cli() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--commands", type=int, default=2000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.commands, args.events, args.repeats))


if __name__ == "__main__":
    cli()
