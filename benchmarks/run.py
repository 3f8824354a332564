"""Measures the service beside the raw limits and a peer, in one run; prints medians.

    python -m benchmarks.run [--repeats 3] [--events 100000] [--replay-events 1000000] ...
    python -m benchmarks.run --only checkins_64,zero_logic_natspy_64 --json out.json
    python -m benchmarks.run --smoke          tiny sizes: every row, in seconds

Servers: OKR_NATS_URL / OKR_DATABASE_URL if set, else the bundled ones (fresh data dir).
Each measurement runs ``repeats`` times, round after round; the table shows medians, each
beside the limits measured in the same run (see docs/benchmarks.md for what each means).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import platform
import statistics
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import nats

from benchmarks.read_rows import curve
from benchmarks.registry import REGISTRY, SMOKE, Bench, Figures, Row, Sizes
from services.adapters.servers import resolve_servers
from services.settings import Settings

# Each registers its rows and measurements when imported.
ROW_MODULES = ("benchmarks.write_rows", "benchmarks.read_rows")
for module in ROW_MODULES:
    importlib.import_module(module)
ROWS = tuple(REGISTRY.rows)


async def measure(bench: Bench, rows: list[Row]) -> dict[str, list[float]]:
    """Every figure ``rows`` need, from ``bench.sizes.repeats`` rounds."""
    taken: dict[str, list[float]] = {}

    def keep(figures: Figures) -> None:
        for key, value in figures.items():
            taken.setdefault(key, []).append(value)

    needed = REGISTRY.needed(rows)
    for round_ in range(1, bench.sizes.repeats + 1):
        for measurement in (m for m in needed if not m.rounds_inside):
            got = await measurement.run(bench)
            assert isinstance(got, dict)
            keep(got)
        print(f"round {round_}/{bench.sizes.repeats} done", flush=True)
    for measurement in (m for m in needed if m.rounds_inside):
        got = await measurement.run(bench)
        for figures in got if isinstance(got, list) else [got]:
            keep(figures)
    return taken


def results(rows: list[Row], taken: dict[str, list[float]]) -> list[dict[str, Any]]:
    """One record per row: its median, its limit's, the ratio, and the further limits."""
    median = {key: statistics.median(values) for key, values in taken.items()}
    records = []
    for r in rows:
        ours = median[r.key]
        limit = median[r.limit] if r.limit else None
        records.append(
            {
                "key": r.key,
                "ours": ours,
                "limit": limit,
                "ratio": None if limit is None else ours / limit,
                "unit": r.unit,
                "limit_key": r.limit,
                "also": {key: ours / median[key] for key in r.also},
            }
        )
    return records


def table(rows: list[Row], records: list[dict[str, Any]]) -> str:
    """The medians as a text table, one line per row."""

    def number(value: float | None) -> str:
        if value is None:
            return "-"
        decimals = 2 if value < 10 else 1 if value < 100 else 0
        return f"{value:,.{decimals}f}"

    def share(ratio: float) -> str:
        return f"{ratio:.0%}" if ratio < 1.5 else f"{ratio:.1f}x"

    lines = [f"{'key':<26}{'ours':>12}{'limit':>12}{'ratio':>7}  {'unit':<11} measure"]
    for r, rec in zip(rows, records, strict=True):
        ratio = "" if rec["ratio"] is None else share(rec["ratio"])
        also = "".join(f"; {share(v)} of {k}" for k, v in rec["also"].items())
        against = f" (limit: {r.limit}{also})" if r.limit else ""
        lines.append(
            f"{r.key:<26}{number(rec['ours']):>12}{number(rec['limit']):>12}{ratio:>7}  "
            f"{r.unit:<11} {r.label}{against}"
        )
    return "\n".join(lines)


def environment() -> dict[str, str]:
    """Versions of what was measured, for the record."""
    names = ("nats-py", "asyncpg", "pydantic", "faststream", "eventsourcing", "psycopg")
    return {"python": platform.python_version(), **{n: version(n) for n in names}}


async def main(
    sizes: Sizes, only: list[str] | None, json_out: Path | None, plot: Path | None
) -> str:
    """Measure, print the table, and write the JSON record and the plot if asked."""
    rows = REGISTRY.select(only)
    with tempfile.TemporaryDirectory() as tmp:
        base = Settings.from_env()
        settings = Settings(
            nats_url=base.nats_url, database_url=base.database_url, data_dir=Path(tmp)
        )
        async with resolve_servers(settings) as (nats_url, database_url):
            nc = await nats.connect(nats_url)
            try:
                bench = Bench(nc, nats_url, database_url, sizes)
                taken = await measure(bench, rows)
                points = await curve(bench)
            finally:
                await nc.close()
    records = results(rows, taken)
    text = table(rows, records)
    print(f"\nmedians of {sizes.repeats} rounds (machine busy: other jobs share the cores)")
    print(text, flush=True)
    if json_out is not None:
        record = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": environment(),
            "sizes": asdict(sizes),
            "rows": records,
            "measurements": taken,
            "curve": points,
            "table": text,
        }
        await asyncio.to_thread(json_out.write_text, json.dumps(record, indent=1))
    if plot is not None and points:
        from benchmarks.plot import plot_curve  # matplotlib only when a plot is asked for

        plot_curve(points, plot)
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
    parser.add_argument(
        "--only", default=None, help=f"rows to run, comma-separated, of: {', '.join(ROWS)}"
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
    only = [key.strip() for key in args.only.split(",")] if args.only else None
    if only is not None:
        try:
            REGISTRY.select(only)
        except KeyError as exc:
            parser.error(str(exc.args[0]))
    asyncio.run(main(sizes, only, args.json, args.plot))


if __name__ == "__main__":
    cli()
