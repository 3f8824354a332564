"""The benchmark command, end to end with tiny sizes: every row is measured and printed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.run import ROWS

pytestmark = pytest.mark.integration
# The peer and the plot come with the bench extras, which `make test` installs.
ROOT = Path(__file__).resolve().parents[2]


def test_the_benchmark_prints_every_row(nats_url: str, database_url: str, tmp_path: Path) -> None:
    """Runs `python -m benchmarks.run --smoke` on the test servers (peer included)."""
    record = tmp_path / "bench.json"
    plot = tmp_path / "curve.png"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "benchmarks.run", "--smoke", "--curve", "500,1000"),
            *("--json", str(record), "--plot", str(plot)),
        ],
        cwd=ROOT,
        env={**os.environ, "OKR_NATS_URL": nats_url, "OKR_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # A failure logged and recovered from (a projector restarted) is still a failure here.
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    for row in ROWS:
        assert any(line.startswith(row) for line in lines), f"no row {row!r} in\n{done.stdout}"
    results = json.loads(record.read_text())["results"]
    assert results["ingest_batched"][0]["rate"] > 0
    assert results["peer"][0]["peer_append"] > 0
    assert results["peer"][0]["peer_project"] > 0
    assert results["replays"][0]["events"] == 1500
    assert plot.stat().st_size > 10_000
