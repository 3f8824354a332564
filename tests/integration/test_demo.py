"""A smoke test of the demo against real servers: its quarter, the read models it prints, a
due reminder, a stale goal and a hygiene flag among the signals, and the hygiene report."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from services.adapters.stream import StreamSettings
from services.application.auth import Role, TokenAuthority
from services.bootstrap import CommandService, read_side
from services.entrypoints.cli.demo import TENANT, run_demo, show_read_models
from services.entrypoints.cli.demo_signals import show_hygiene, show_signals
from services.settings import Settings
from tests.integration.conftest import TEST_SECRET

pytestmark = pytest.mark.integration
# Day 62 of 2026-q4: the demo's check-ins lie weeks back, so reminders are due and two goals
# have gone stale. A fixed instant keeps the output the same on any day the test runs.
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def test_the_demo_shows_scores_forecasts_signals_and_hygiene(
    service: CommandService,
    stream_settings: StreamSettings,
    database_url: str,
    pg_schema: str,
    authority: TokenAuthority,
) -> None:
    settings = Settings(
        stream_name=stream_settings.name,
        subject_root=stream_settings.subjects.root,
        db_schema=pg_schema,
        http_port=0,
        auth_secret=TEST_SECRET,
    )
    lines: list[str] = []
    async with read_side(settings, service.connection, database_url, clock=lambda: NOW) as reads:
        stored = await run_demo(service.connection, service.store, NOW, lines.append)
        await reads.wait_until_current()
        token = authority.issue(TENANT, Role.AUDITOR, "demo", NOW)
        await asyncio.to_thread(show_read_models, reads.http_url, NOW, token, lines.append)
        assert reads.scanner is not None
        found = await show_signals(reads.scanner, NOW, lines.append)
        await asyncio.to_thread(show_hygiene, reads.http_url, NOW, token, lines.append)
        again: list[str] = []
        await show_signals(reads.scanner, NOW, again.append)

    text = "\n".join(lines)
    assert stored == 17
    assert "  no   vague SMART goal" in text
    assert "GET /tenants/demo/goals/objective/company-growth-2026-q4/score" in text
    assert "forecast: likely to land at 1.00 (1.00\u20131.00) at the cycle's end" in text
    assert (
        "  check_in.due          objective company-growth-2026-q4: check-in due "
        "2026-12-01 09:00Z (2 missed in a row)"
    ) in text
    assert (
        "  goal.stale            objective team-onboarding-2026-q4: stale: 3 check-ins "
        "missed, the last due 2026-11-18 09:00Z"
    ) in text
    assert (
        "  goal.hygiene_flagged  smart_goal guides-ana-2026-q4: no_recent_check_in, "
        "smart_goal_without_baseline"
    ) in text
    assert "GET /tenants/demo/cycles/2026-q4/hygiene (docs/hygiene.md)" in text
    assert "    smart_goal guides-ana-2026-q4: smart_goal_without_baseline" in text
    assert found == 11
    # A second look stores nothing new and shows the same signals.
    start = next(i for i, line in enumerate(lines) if line.startswith("\nSignals on"))
    end = next(i for i, line in enumerate(lines) if line.startswith("GET /tenants/demo/cycles"))
    assert "stored 20 new" in lines[start]
    assert "stored 0 new" in again[0]
    assert again[1:] == lines[start + 1 : end]
