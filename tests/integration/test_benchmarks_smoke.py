"""The benchmark command, end to end with tiny sizes: every row is measured and printed,
and ``--only`` runs just the rows asked for (with the limits they are read against)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks.run import ROWS

pytestmark = pytest.mark.integration
# The peer and the plot come with the bench extras, which `make test` installs.
ROOT = Path(__file__).resolve().parents[2]
WRITE_KEYS = (
    "ingest_single_64",
    "ingest_batch_100",
    "checkins_1",
    "checkins_64",
    "checkin_p50_ms",
    "checkin_p99_ms",
    "zero_logic_natspy_64",
    "zero_logic_faststream_64",
    "raw_publish_64",
)


def bench(nats_url: str, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--smoke", *args],
        cwd=ROOT,
        env={**os.environ, "OKR_NATS_URL": nats_url, "OKR_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # A failure logged and recovered from (a projector restarted) is still a failure here.
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return done


def rows_of(record: Path) -> dict[str, dict[str, Any]]:
    return {r["key"]: r for r in json.loads(record.read_text())["rows"]}


def test_the_benchmark_prints_every_row(nats_url: str, database_url: str, tmp_path: Path) -> None:
    """Runs `python -m benchmarks.run --smoke` on the test servers (peer included)."""
    record, plot = tmp_path / "bench.json", tmp_path / "curve.png"
    done = bench(
        nats_url, database_url, "--curve", "500,1000", "--json", str(record), "--plot", str(plot)
    )
    lines = done.stdout.splitlines()
    for key in ROWS:
        assert any(line.startswith(key + " ") for line in lines), f"no row {key}:\n{done.stdout}"
    rows = rows_of(record)
    assert set(WRITE_KEYS) <= set(rows) == set(ROWS)
    for key in WRITE_KEYS:
        assert set(rows[key]) >= {"key", "ours", "limit", "ratio", "unit"}
        assert rows[key]["ours"] > 0
    assert rows["checkins_64"]["limit"] == rows["zero_logic_natspy_64"]["ours"]
    assert rows["checkins_64"]["also"]["raw_publish_64"] > 0
    assert rows["peer_append_eventsourcing"]["ours"] > 0
    assert plot.stat().st_size > 10_000


def test_only_runs_the_rows_asked_for(nats_url: str, database_url: str, tmp_path: Path) -> None:
    """`--only` measures the named rows and what they are read against, nothing else."""
    record = tmp_path / "only.json"
    done = bench(
        nats_url, database_url, "--only", "checkins_1,raw_publish_64", "--json", str(record)
    )
    rows = rows_of(record)
    assert list(rows) == ["raw_publish_64", "checkins_1"]
    assert rows["checkins_1"]["ratio"] == pytest.approx(
        rows["checkins_1"]["ours"] / rows["checkins_1"]["limit"]
    )
    measured = json.loads(record.read_text())["measurements"]
    assert "zero_logic_natspy_1" in measured  # the limit of checkins_1
    assert "catch_up_100k" not in measured
    assert "ingest_single_64" not in done.stdout


def test_an_unknown_row_is_refused_with_the_known_ones() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--smoke", "--only", "no_such_row"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "no_such_row" in done.stderr
    assert "checkins_64" in done.stderr
