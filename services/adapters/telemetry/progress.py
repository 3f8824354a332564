"""Progress of long work: a bar with rate and ETA on a terminal, plain lines otherwise.

Plain lines (a log file, CI, a pipe) come at most every ``every_s`` seconds and once at the
end, so a long rebuild leaves a readable trail instead of carriage returns.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichProgress
from rich.text import Text

PLAIN_EVERY_S = 5.0


class _Rate(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f}/s")


class Progress:
    """Counts work done of ``total`` (None: unknown, then no ETA) under ``description``."""

    def __init__(
        self,
        description: str,
        total: int | None,
        out: TextIO | None = None,
        every_s: float = PLAIN_EVERY_S,
    ) -> None:
        self._out = out if out is not None else sys.stderr
        self._description = description
        self._total = total
        self._every_s = every_s
        self._done = 0
        self._began = self._shown = time.monotonic()
        self._bar: RichProgress | None = None
        if self._out.isatty():
            self._bar = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                _Rate(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(file=self._out),
                transient=False,
            )
            self._task = self._bar.add_task(description, total=total)

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
        elif kind is None:
            self._line()

    def update(self, done: int, total: int | None = None) -> None:
        """``done`` items so far (and a total learnt on the way)."""
        self._done = done
        if total is not None:
            self._total = total
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=self._total)
            return
        now = time.monotonic()
        if now - self._shown >= self._every_s:
            self._shown = now
            self._line()

    def _line(self) -> None:
        seconds = max(time.monotonic() - self._began, 1e-9)
        rate = self._done / seconds
        parts = [f"{self._description}: {self._done:,}"]
        if self._total:
            parts[0] += f" of {self._total:,} ({100 * self._done / self._total:.0f} %)"
        parts.append(f"{rate:,.0f}/s")
        if self._total and rate > 0 and self._done < self._total:
            parts.append(f"ETA {(self._total - self._done) / rate:.0f} s")
        print(", ".join(parts), file=self._out, flush=True)
