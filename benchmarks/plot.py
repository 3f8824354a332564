"""The plot of docs/benchmarks.md: catch-up throughput against workload size."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and in CI
import matplotlib.pyplot as plt

Row = dict[str, float]


def plot_curve(points: Sequence[Row], path: Path) -> None:
    """Projector catch-up and raw ordered replay (events/s) against stream size."""
    ordered = sorted(points, key=lambda p: p["events"])
    sizes = [p["events"] for p in ordered]
    figure, axes = plt.subplots(figsize=(7, 4))
    axes.plot(sizes, [p["raw_replay"] for p in ordered], "o--", label="raw ordered replay")
    axes.plot(sizes, [p["projector"] for p in ordered], "o-", label="projector catch-up")
    axes.plot(sizes, [0.6 * p["raw_replay"] for p in ordered], ":", label="target: 60% of raw")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("events in the stream")
    axes.set_ylabel("events/s")
    axes.set_title("Catch-up throughput against workload size (2 busy cores)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
