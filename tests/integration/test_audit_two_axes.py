"""A scripted quarter on two time axes: live read models snapshotted at a dozen instants,
each equal to a replay as of that business time and known at that moment, cascade included."""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from nats.aio.client import Client

from events.scoring_policy import ScoringPolicy
from events.values import Cycle
from projections.audit.axes import TimeAxes
from projections.audit.render import to_html
from projections.runner import Projector
from services.adapters.stream import StreamSettings
from services.application.auditor import Auditor
from services.bootstrap import command_service
from services.client import OkrClient
from services.settings import Settings
from tests.integration.conftest import log_of

pytestmark = pytest.mark.integration
Q4 = Cycle.quarter("2026-q4").model_dump(mode="json")
Q1 = Cycle.quarter("2027-q1").model_dump(mode="json")


def day(month: int, d: int, hour: int = 9) -> datetime:
    return datetime(2026, month, d, hour, tzinfo=UTC)


ARR = {"goal_type": "objective", "goal_id": "co", "key_result_id": "arr"}
NPS = {"goal_type": "objective", "goal_id": "co", "key_result_id": "nps"}
ACT = {"goal_type": "objective", "goal_id": "team", "key_result_id": "act"}
GUIDE = {"goal_type": "smart_goal", "goal_id": "guide"}


def _kr(kr_id: str, title: str, kind: str, baseline: float, target: float, **more: Any) -> Any:
    metric = {"kind": kind, "baseline": baseline, "target": target, **more}
    return {"key_result_id": kr_id, "terms": {"title": title, "weight": 1, "metric": metric}}


# (transaction time, command, business time if not the same, body); a snapshot after each
# step marked True.
SCRIPT: list[tuple[datetime, str, datetime | None, dict[str, Any], bool]] = [
    (
        day(10, 1),
        "create_objective",
        None,
        {"objective_id": "co", "title": "Grow", "level": "company", "owner": "ceo", "cycle": Q4},
        False,
    ),
    (
        day(10, 1),
        "add_key_result",
        None,
        {"objective_id": "co", **_kr("arr", "ARR", "currency", 1_000_000, 1_600_000, unit="EUR")},
        False,
    ),
    (
        day(10, 1),
        "add_key_result",
        None,
        {"objective_id": "co", **_kr("nps", "NPS", "numeric", 30, 50)},
        False,
    ),
    (
        day(10, 2),
        "create_objective",
        None,
        {
            "objective_id": "team",
            "title": "Onboard",
            "level": "team",
            "owner": "growth",
            "cycle": Q4,
        },
        False,
    ),
    (
        day(10, 2),
        "add_key_result",
        None,
        {"objective_id": "team", **_kr("act", "Activation", "percentage", 20, 40)},
        False,
    ),
    (
        day(10, 2),
        "align_goal",
        None,
        {
            "goal_type": "objective",
            "goal_id": "team",
            "parent": {"kind": "key_result", "objective_id": "co", "key_result_id": "arr"},
        },
        False,
    ),
    (
        day(10, 3),
        "create_smart_goal",
        None,
        {
            "goal_id": "guide",
            "statement": "Publish three onboarding guides for trial users",
            "owner": "ana",
            "cycle": Q4,
            "metric": {"kind": "numeric", "baseline": 0, "target": 3, "unit": "guides"},
            "deadline": "2026-12-20",
            "achievability": "two drafts exist",
            "serves": [{"kind": "key_result", "objective_id": "team", "key_result_id": "act"}],
        },
        True,
    ),
    (day(10, 8), "record_check_in", None, {**ARR, "value": 1_100_000, "confidence": 0.6}, True),
    (day(10, 15), "record_check_in", None, {**NPS, "value": 36, "confidence": 0.5}, True),
    (
        day(10, 22),
        "adjust_key_result",
        None,
        {
            "objective_id": "co",
            "key_result_id": "arr",
            "reason": "a market closed",
            "metric": {
                "kind": "currency",
                "unit": "EUR",
                "baseline": 1_000_000,
                "target": 1_500_000,
            },
        },
        True,
    ),
    (day(10, 29), "record_check_in", None, {**ACT, "value": 26, "confidence": 0.7}, True),
    (
        day(11, 5),
        "adjust_key_result",
        None,
        {
            "objective_id": "co",
            "key_result_id": "nps",
            "reason": "survey vendor changed",
            "metric": {"kind": "numeric", "baseline": 30, "target": 45},
        },
        True,
    ),
    (
        day(11, 12),
        "adjust_key_result",
        None,
        {
            "objective_id": "team",
            "key_result_id": "act",
            "reason": "pricing page moved",
            "metric": {"kind": "percentage", "baseline": 20, "target": 35},
        },
        True,
    ),
    (day(11, 14), "record_check_in", None, {**GUIDE, "value": 1, "confidence": 0.8}, True),
    # Told on Nov 19 what held on Nov 9: a back-dated check-in.
    (
        day(11, 19),
        "record_check_in",
        None,
        {**ARR, "value": 1_250_000, "confidence": 0.7, "applies_at": day(11, 9).isoformat()},
        True,
    ),
    # An integration's report of Nov 3, arriving on Nov 21: late, yet newer in valid time
    # than Oct 29's check-in, so it becomes the value.
    (
        day(11, 21),
        "report_progress",
        None,
        {
            **ACT,
            "source": "crm",
            "idempotency_key": "crm-77",
            "value": 29,
            "observed_at": day(11, 3).isoformat(),
        },
        True,
    ),
    (day(11, 24), "record_check_in", None, {**ACT, "value": 31, "confidence": 0.8}, False),
    (day(12, 3), "close_goal", None, {**GUIDE, "grade": 0.7, "note": "two of three live"}, True),
    (
        day(12, 10),
        "carry_over_goal",
        None,
        {
            "goal_type": "objective",
            "goal_id": "team",
            "to_cycle": Q1,
            "reason": "activation work continues",
        },
        True,
    ),
]


class Clock:
    """The service's recorded-at clock, moved by the script."""

    def __init__(self) -> None:
        self.now = day(10, 1)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Quarter:
    """The scripted quarter, sent; the live models snapshotted at instants of it."""

    log: Any
    keys: Any  # the service's: its sealed texts open in replays
    snapshots: list[tuple[datetime, str]] = field(default_factory=list)


async def _snapshot(conn: asyncpg.Connection, live: str, into: str) -> None:
    """A copy of the live schema's tables, keys included, as they are now."""
    await conn.execute(f'CREATE SCHEMA "{into}"')
    for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1", live):
        t = r["tablename"]
        await conn.execute(
            f'CREATE TABLE "{into}".{t} (LIKE "{live}".{t} INCLUDING ALL);'
            f'INSERT INTO "{into}".{t} SELECT * FROM "{live}".{t}'
        )


@pytest.fixture
async def quarter(
    nats_client: Client,
    nats_url: str,
    stream_settings: StreamSettings,
    database_url: str,
    pg_schema: str,
    tenant: str,
) -> AsyncIterator[Quarter]:
    clock = Clock()
    settings = Settings(
        nats_url=nats_url,
        stream_name=stream_settings.name,
        subject_root=stream_settings.subjects.root,
    )
    conn = await asyncpg.connect(database_url)
    snapshots: list[str] = []
    try:
        async with command_service(settings, nats_url, clock) as service:
            okr = OkrClient(nats_client, tenant, "ana", service.subjects)
            projector = Projector(
                nats_client,
                conn,
                service.stream_name,
                pg_schema,
                ScoringPolicy(),
                keys=service.keys,
            )
            sent = Quarter(log_of(service), service.keys)
            for recorded, command, occurred, body, snap in SCRIPT:
                clock.now = recorded
                meta = {"now": (occurred or recorded).isoformat()}
                await okr.execute(command, meta=meta, **body)
                if snap:
                    await projector.catch_up()
                    name = f"{pg_schema}_s{len(snapshots)}"
                    await _snapshot(conn, pg_schema, name)
                    snapshots.append(name)
                    sent.snapshots.append((recorded, name))
            yield sent
    finally:
        for name in snapshots:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        await conn.close()


async def test_every_snapshot_equals_the_replay_as_of_then_known_then(
    quarter: Quarter, database_url: str, pg_schema: str, tenant: str
) -> None:
    assert len(quarter.snapshots) >= 12
    compared = []
    for instant, schema in quarter.snapshots:
        auditor = Auditor(
            quarter.log,
            database_url,
            schema,
            ScoringPolicy(),
            replay_prefix=f"{pg_schema}_r",
            replay_workers=2,  # in parallel, however small the log
            parallel_from=0,
            keys=quarter.keys,
        )
        found = await auditor.check(tenant, TimeAxes(instant, instant))
        assert found.differences == (), (instant, found.differences)
        compared.append(found.goals_compared)
    assert compared[0] == 3  # the check compared something: every goal, from the first


async def test_the_check_names_what_a_snapshot_of_another_moment_lacks(
    quarter: Quarter, database_url: str, pg_schema: str, tenant: str
) -> None:
    (before, _), (_, after_check_in) = quarter.snapshots[0], quarter.snapshots[1]
    auditor = Auditor(
        quarter.log,
        database_url,
        after_check_in,
        ScoringPolicy(),
        replay_prefix=f"{pg_schema}_r",
        replay_workers=2,  # in parallel, however small the log
        parallel_from=0,
        keys=quarter.keys,
    )

    found = await auditor.check(tenant, TimeAxes(before, before))

    fields = {(d.goal, d.field) for d in found.differences}
    assert ("objective/co", "key_results.arr.value") in fields
    assert ("objective/co", "cascade.rolled_up_score") in fields
    assert not found.consistent


def _arr(report: Any) -> Any:
    [co] = [g for g in report.goals if g.goal_id == "co"]
    return next(k for k in co.key_results if k.key_result_id == "arr")


async def test_the_back_dated_check_in_on_both_axes(
    quarter: Quarter, database_url: str, pg_schema: str, tenant: str
) -> None:
    auditor = Auditor(
        quarter.log,
        database_url,
        pg_schema,
        ScoringPolicy(),
        replay_prefix=f"{pg_schema}_r",
        replay_workers=2,  # in parallel, however small the log
        parallel_from=0,
        keys=quarter.keys,
    )

    known_before = await auditor.report(tenant, "2026-q4", TimeAxes(day(11, 10), day(11, 12)))
    known_after = await auditor.report(tenant, "2026-q4", TimeAxes(day(11, 10), day(11, 20)))

    assert [p.value for p in _arr(known_before).history] == [1_100_000]
    [_, told] = _arr(known_after).history
    assert (told.value, told.valid_at, told.recorded_at) == (1_250_000, day(11, 9), day(11, 19))
    assert told.back_dated
    assert not told.late
    assert not told.superseded
    assert told.target_in_force == 1_500_000
    assert _arr(known_after).final_value == 1_250_000


async def test_the_report_tells_the_quarter(
    quarter: Quarter, database_url: str, pg_schema: str, tenant: str
) -> None:
    auditor = Auditor(
        quarter.log,
        database_url,
        pg_schema,
        ScoringPolicy(),
        replay_prefix=f"{pg_schema}_r",
        replay_workers=2,  # in parallel, however small the log
        parallel_from=0,
        keys=quarter.keys,
    )
    axes = TimeAxes(day(12, 15), day(12, 15))

    q4 = await auditor.report(tenant, "2026-q4", axes)
    q1 = await auditor.report(tenant, "2027-q1", axes)

    by_id = {g.goal_id: g for g in q4.goals}
    assert set(by_id) == {"co", "team", "guide"}
    [team_q1] = q1.goals
    assert team_q1.carried_over == by_id["team"].carried_over
    assert by_id["team"].carried_over is not None
    assert by_id["team"].carried_over.from_cycle == "2026-q4"
    closed = by_id["guide"].closed
    assert closed is not None
    assert (closed.closed_at, closed.grade, closed.note) == (day(12, 3), 0.7, "two of three live")
    act = by_id["team"].key_results[0]
    [report] = [p for p in act.history if p.kind == "progress"]
    assert (report.source, report.idempotency_key, report.late) == ("crm", "crm-77", True)
    [tree] = q4.cascade
    assert [c.goal.goal_id for c in tree.children] == ["team"]
    adjusted_at = [a.occurred_at for g in q4.goals for k in g.key_results for a in k.adjustments]
    assert sorted(adjusted_at) == [day(10, 22), day(11, 5), day(11, 12)]
    # The chart's step of ARR's target sits at the adjustment's valid time, Oct 22.
    page = to_html(q4)
    svg = re.search(r"<svg[^>]*><title>KR arr: ARR</title>.*?</svg>", page)
    assert svg is not None
    assert _step_xs(svg.group(0)) == [pytest.approx(_x_of(svg.group(0), day(10, 22)), abs=0.1)]


def _attr(svg: str, name: str) -> str:
    found = re.search(rf'{name}="([^"]+)"', svg)
    assert found is not None
    return found.group(1)


def _x_of(svg: str, at: datetime) -> float:
    left, right = float(_attr(svg, "data-plot-left")), float(_attr(svg, "data-plot-right"))
    start = datetime.fromisoformat(_attr(svg, "data-axis-start"))
    end = datetime.fromisoformat(_attr(svg, "data-axis-end"))
    return left + (at - start) / (end - start) * (right - left)


def _step_xs(svg: str) -> list[float]:
    """The x of each vertical step of the target line."""
    points = re.search(r'class="target" points="([^"]+)"', svg)
    assert points is not None
    corners = [tuple(map(float, p.split(","))) for p in points.group(1).split()]
    return [a[0] for a, b in itertools.pairwise(corners) if a[0] == b[0] and a[1] != b[1]]
