"""Rows measured through the running command service: check-in commands and integration
ingest, each beside raw JetStream publishes with the same number in flight."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from nats.aio.client import Client

from benchmarks.common import Row, fresh, percentile, rate
from benchmarks.workload import CYCLE
from services.bootstrap import CommandService, command_service
from services.client import OkrClient
from services.settings import Settings

TENANT = "bench"
# Mid-quarter: every report and check-in below is judged at this instant.
NOW = datetime(2026, 11, 15, 12, tzinfo=UTC)
META = {"now": NOW.isoformat()}
KEY_RESULTS = ("kr0", "kr1", "kr2")


@asynccontextmanager
async def running(
    nc: Client, nats_url: str, goals: int
) -> AsyncIterator[tuple[CommandService, OkrClient]]:
    """The command service on a fresh stream, with ``goals`` objectives of three KRs."""
    subjects, stream = fresh()
    settings = Settings(nats_url=nats_url, stream_name=stream, subject_root=subjects.root)
    async with command_service(settings, nats_url, clock=lambda: NOW) as service:
        okr = OkrClient(nc, TENANT, "bench", subjects)

        async def create(g: int) -> None:
            await okr.execute(
                "create_objective",
                objective_id=f"g{g}",
                title="Bench",
                level="team",
                owner="o",
                cycle=CYCLE.model_dump(mode="json"),
                meta=META,
            )
            for kr in KEY_RESULTS:
                await okr.execute(
                    "add_key_result",
                    objective_id=f"g{g}",
                    key_result_id=kr,
                    meta=META,
                    terms={
                        "title": kr,
                        "weight": 1,
                        "metric": {"kind": "numeric", "baseline": 0, "target": 100},
                    },
                )

        await asyncio.gather(*(create(g) for g in range(goals)))
        try:
            yield service, okr
        finally:
            await nc.jetstream().delete_stream(stream)
            await nc.jetstream().delete_stream(settings.dead_letters)


async def check_ins(nc: Client, nats_url: str, count: int, in_flight: int) -> Row:
    """Check-in commands, ``in_flight`` clients each on its own goal: rate and latencies."""
    async with running(nc, nats_url, in_flight) as (_, okr):
        latencies: list[float] = []

        async def client(g: int, n: int) -> None:
            for i in range(n):
                started = time.perf_counter()
                await okr.execute(
                    "record_check_in",
                    goal_type="objective",
                    goal_id=f"g{g}",
                    key_result_id=KEY_RESULTS[i % len(KEY_RESULTS)],
                    value=i % 100,
                    confidence=0.5,
                    note=f"on track, blocked on review {i}",  # personal: sealed when written
                    meta=META,
                )
                latencies.append(time.perf_counter() - started)

        share = max(1, count // in_flight)
        result = await rate(
            share * in_flight, lambda: asyncio.gather(*[client(g, share) for g in range(in_flight)])
        )
    return {
        "rate": result,
        "p50_ms": 1000 * percentile(latencies, 0.5),
        "p99_ms": 1000 * percentile(latencies, 0.99),
    }


def _report(goal: int, kr: str, n: int, value: float) -> dict[str, Any]:
    return {
        "goal_type": "objective",
        "goal_id": f"g{goal}",
        "key_result_id": kr,
        "value": value,
        "source": "jira",
        "idempotency_key": f"r{goal}-{kr}-{n}",
        "observed_at": datetime(2026, 11, 10, 8, tzinfo=UTC).isoformat(),
    }


async def ingest(
    nc: Client, nats_url: str, reports: int, in_flight: int, goals: int, batch: int = 1
) -> Row:
    """Integration reports, ``in_flight`` requests at a time, spread over ``goals`` goals as
    a connector's sync would be: one bare report a request, or ``batch`` of them
    (``{"reports": [...]}``); counts only reports the service accepted (and so stored)."""
    async with running(nc, nats_url, goals) as (service, _):
        subject = service.subjects.ingest(TENANT)
        accepted = 0
        next_report = 0

        def body(first: int, last: int) -> Any:
            items = [
                _report(n % goals, KEY_RESULTS[n // goals % 3], n, float(n % 100))
                for n in range(first, last)
            ]
            return items[0] if batch == 1 else {"reports": items}

        async def sender() -> None:
            nonlocal accepted, next_report
            while next_report < reports:
                first = next_report
                next_report = min(first + batch, reports)
                data = json.dumps(body(first, next_report)).encode()
                reply = await nc.request(subject, data, timeout=30 if batch == 1 else 60)
                accepted += int(json.loads(reply.data).get("accepted", 0))

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(in_flight)))
        seconds = time.perf_counter() - started
    if accepted != reports:
        raise RuntimeError(f"ingest accepted {accepted} of {reports} reports")
    return {"rate": accepted / seconds}
