"""The write side's rows: commands and ingest through the service, beside the zero-logic
services and raw JetStream publishes with as many in flight, all in the same run."""

from __future__ import annotations

from benchmarks import service_rows, zero_logic
from benchmarks.common import raw_publish
from benchmarks.registry import Bench, Figures, Row, measures, row

# What a check-in's event weighs as stored (about 590 bytes): the body every limit carries.
EVENT_BYTES = 590
# A connector's sync: reports spread over many goals, several messages in flight.
INGEST_BATCH = 100
INGEST_BATCHES_IN_FLIGHT = 4
INGEST_GOALS = 256


@measures("raw_publish_64")
async def raw_publish_many(b: Bench) -> Figures:
    """Raw publishes, as many in flight as the service rows' requests."""
    s = b.sizes
    return {"raw_publish_64": await raw_publish(b.nc, s.ingest, s.in_flight, EVENT_BYTES)}


@measures("raw_publish_1")
async def raw_publish_one(b: Bench) -> Figures:
    """Raw publishes one at a time."""
    return {"raw_publish_1": await raw_publish(b.nc, b.sizes.commands, 1, EVENT_BYTES)}


@measures("raw_publish_400")
async def raw_publish_batched(b: Bench) -> Figures:
    """Raw publishes with as many in flight as the reports of the batches in flight."""
    in_flight = INGEST_BATCH * INGEST_BATCHES_IN_FLIGHT
    return {"raw_publish_400": await raw_publish(b.nc, b.sizes.ingest, in_flight, EVENT_BYTES)}


@measures("zero_logic_natspy_64")
async def zero_natspy_many(b: Bench) -> Figures:
    """The nats-py zero-logic service, as many in flight as the service rows."""
    s = b.sizes
    got = await zero_logic.measure(
        b.nc, b.nats_url, zero_logic.natspy_service, s.commands * 4, s.in_flight, EVENT_BYTES
    )
    return {"zero_logic_natspy_64": got["rate"]}


@measures("zero_logic_natspy_1", "zero_logic_p50_ms", "zero_logic_p99_ms")
async def zero_natspy_one(b: Bench) -> Figures:
    """The nats-py zero-logic service, one request at a time."""
    got = await zero_logic.measure(
        b.nc, b.nats_url, zero_logic.natspy_service, b.sizes.commands, 1, EVENT_BYTES
    )
    return {
        "zero_logic_natspy_1": got["rate"],
        "zero_logic_p50_ms": got["p50_ms"],
        "zero_logic_p99_ms": got["p99_ms"],
    }


@measures("zero_logic_faststream_64")
async def zero_faststream_many(b: Bench) -> Figures:
    """The faststream zero-logic service, ``max_workers`` = the requests in flight."""
    s = b.sizes
    got = await zero_logic.measure(
        b.nc, b.nats_url, zero_logic.faststream_service, s.commands * 4, s.in_flight, EVENT_BYTES
    )
    return {"zero_logic_faststream_64": got["rate"]}


@measures("ingest_single_64")
async def ingest_single(b: Bench) -> Figures:
    """One report a request, many in flight."""
    s = b.sizes
    got = await service_rows.ingest(b.nc, b.nats_url, s.ingest, s.in_flight, 4 * s.in_flight)
    return {"ingest_single_64": got["rate"]}


@measures("ingest_batch_100")
async def ingest_batched(b: Bench) -> Figures:
    """Batches of reports over many goals, a few batches in flight."""
    got = await service_rows.ingest(
        b.nc, b.nats_url, b.sizes.ingest, INGEST_BATCHES_IN_FLIGHT, INGEST_GOALS, INGEST_BATCH
    )
    return {"ingest_batch_100": got["rate"]}


@measures("checkins_1", "checkin_p50_ms", "checkin_p99_ms")
async def check_ins_one(b: Bench) -> Figures:
    """Check-in commands one at a time: rate and latencies."""
    got = await service_rows.check_ins(b.nc, b.nats_url, b.sizes.commands, 1)
    return {
        "checkins_1": got["rate"],
        "checkin_p50_ms": got["p50_ms"],
        "checkin_p99_ms": got["p99_ms"],
    }


@measures("checkins_64")
async def check_ins_many(b: Bench) -> Figures:
    """Check-in commands, each client on its own goal."""
    s = b.sizes
    got = await service_rows.check_ins(b.nc, b.nats_url, s.commands * 4, s.in_flight)
    return {"checkins_64": got["rate"]}


ZERO = "zero_logic_natspy_64"
for spec in (
    Row("raw_publish_64", "raw JetStream publish, 64 in flight (no service)", "msgs/s"),
    Row("raw_publish_1", "raw JetStream publish, 1 in flight", "msgs/s"),
    Row("raw_publish_400", "raw JetStream publish, 400 in flight", "msgs/s"),
    Row(ZERO, "zero-logic service, nats-py, 64 in flight", "requests/s", "raw_publish_64"),
    Row(
        "zero_logic_faststream_64",
        "zero-logic service, faststream, 64 in flight",
        "requests/s",
        "raw_publish_64",
        (ZERO,),
    ),
    Row(
        "zero_logic_natspy_1",
        "zero-logic service, nats-py, 1 in flight",
        "requests/s",
        "raw_publish_1",
    ),
    Row("zero_logic_p50_ms", "zero-logic service latency p50, 1 in flight", "ms"),
    Row("zero_logic_p99_ms", "zero-logic service latency p99", "ms"),
    Row(
        "ingest_single_64",
        "ingest, one report a request, 64 in flight",
        "reports/s",
        ZERO,
        ("raw_publish_64",),
    ),
    Row(
        "ingest_batch_100",
        "ingest, batches of 100, 4 in flight",
        "reports/s",
        "raw_publish_400",
        (ZERO,),
    ),
    Row(
        "checkins_1",
        "check-ins, 1 in flight",
        "commands/s",
        "zero_logic_natspy_1",
        ("raw_publish_1",),
    ),
    Row("checkin_p50_ms", "check-in latency p50, 1 in flight", "ms", "zero_logic_p50_ms"),
    Row("checkin_p99_ms", "check-in latency p99, 1 in flight", "ms", "zero_logic_p99_ms"),
    Row("checkins_64", "check-ins, 64 in flight", "commands/s", ZERO, ("raw_publish_64",)),
):
    row(spec)
