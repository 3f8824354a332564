"""Fault suite fixtures: load profiles, per-test stream names, and the figures table.

The fast profile runs in CI (plain ``pytest``); the slow one is marked ``slow`` and
runs with ``pytest -m slow``. Each scenario records its counts; they are printed at the
end of the session and appended as JSON lines to ``$OKR_FAULT_FIGURES`` when it is set.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from events.subjects import Subjects
from services.settings import Settings
from tests.faults.proof import Figures
from tests.servers import scratch_dir

FIGURES_ENV = "OKR_FAULT_FIGURES"
_FIGURES: list[Figures] = []


@pytest.fixture
def record_figures() -> Iterator[list[Figures]]:
    """A test appends its Figures here; they are kept even when the test fails."""
    mine: list[Figures] = []
    yield mine
    _FIGURES.extend(mine)
    path = os.environ.get(FIGURES_ENV)
    if path:
        with Path(path).open("a") as out:
            for figures in mine:
                out.write(json.dumps(figures.row()) + "\n")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line per scenario run: the counts the proofs checked."""
    if not _FIGURES:
        return
    terminalreporter.section("fault figures")
    terminalreporter.write_line(
        "scenario profile faults | sent accepted refused | events accepted stored "
        "projected lost dup | retryable replies | refusals | slowest reply | s"
    )
    for f in _FIGURES:
        terminalreporter.write_line(
            f"{f.scenario} {f.profile} {f.faults!r} | {f.commands_sent} {f.commands_accepted} "
            f"{f.commands_refused} | {f.events_accepted} {f.events_stored} "
            f"{f.events_projected} {f.lost} {f.duplicated} | {f.retryable_replies} | "
            f"{f.refusals} | {f.slowest_reply_s} | {f.seconds:.1f} {f.notes}"
        )


@pytest.fixture
def fault_settings() -> Settings:
    """Stream, subject root and nothing else of the test's own (servers come later)."""
    root = f"f{uuid.uuid4().hex[:12]}"
    return Settings(stream_name=f"OKR_{root.upper()}", subject_root=root, http_port=0)


@pytest.fixture
def fault_subjects(fault_settings: Settings) -> Subjects:
    """The subjects of ``fault_settings``."""
    return Subjects(fault_settings.subject_root)


@pytest.fixture
def fault_dir() -> Iterator[Path]:
    """A scratch directory for servers the test owns (outside pytest's basetemp)."""
    with scratch_dir("okr-fault-") as path:
        yield path
