"""Forecasts through the public interfaces: the score route after three check-ins, and the
auditor's report (JSON, Markdown, HTML) replayed at the same instant, agreeing with it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest
from nats.aio.client import Client

from events.values import Cycle
from projections.queries import ReadModels
from projections.runner import Projector
from projections.scoring import ScoringPolicy
from projections.views import ProjectionLag
from services.adapters.stream import StreamSettings
from services.application.auditor import Auditor
from services.application.auth import Role, TokenAuthority
from services.bootstrap import command_service
from services.client import OkrClient
from services.entrypoints.http.app import create_query_app
from services.entrypoints.http.auth import Gate
from services.settings import Settings
from tests.integration.conftest import bearer, log_of

pytestmark = pytest.mark.integration
Q4 = Cycle.quarter("2026-q4")
AS_OF = "2026-11-22T09:00:00Z"


def day(month: int, d: int) -> datetime:
    return datetime(2026, month, d, 9, tzinfo=UTC)


# One more signup a day from Oct 11: at the cycle's end (Jan 1, 00:00) the line reaches
# 120 + 81.625 = 201.625 of a 100 -> 300 target, a score of 0.508; on a line, no band.
CHECK_INS = [(day(10, 11), 120), (day(10, 21), 130), (day(10, 31), 140)]
LANDS_AT = 120 + (Q4.ends_at - day(10, 11)).total_seconds() / 86400


@pytest.fixture
async def api(
    nats_client: Client,
    nats_url: str,
    stream_settings: StreamSettings,
    database_url: str,
    pg_schema: str,
    tenant: str,
    authority: TokenAuthority,
) -> AsyncIterator[httpx.AsyncClient]:
    """Three check-ins on one KR, projected live; the API with its score and audit routes."""
    settings = Settings(
        nats_url=nats_url,
        stream_name=stream_settings.name,
        subject_root=stream_settings.subjects.root,
    )
    async with command_service(settings, nats_url) as service:
        okr = OkrClient(nats_client, tenant, "ana", service.subjects)
        created = {"now": day(10, 1).isoformat()}
        await okr.execute(
            "create_objective",
            meta=created,
            objective_id="co",
            title="Grow",
            level="company",
            owner="ceo",
            cycle=Q4.model_dump(mode="json"),
        )
        for kr in ("signups", "quiet"):
            await okr.execute(
                "add_key_result",
                meta=created,
                objective_id="co",
                key_result_id=kr,
                terms={
                    "title": kr,
                    "weight": 1,
                    "metric": {"kind": "numeric", "baseline": 100, "target": 300},
                },
            )
        for at, value in CHECK_INS:
            await okr.execute(
                "record_check_in",
                meta={"now": at.isoformat()},
                goal_type="objective",
                goal_id="co",
                key_result_id="signups",
                value=value,
                confidence=0.6,
            )
        conn = await asyncpg.connect(database_url)
        await Projector(
            nats_client, conn, service.stream_name, pg_schema, ScoringPolicy()
        ).catch_up()
        pool = await asyncpg.create_pool(
            database_url, min_size=1, max_size=2, server_settings={"search_path": pg_schema}
        )
        auditor = Auditor(
            log_of(service),
            database_url,
            pg_schema,
            ScoringPolicy(),
            replay_prefix=f"{pg_schema}_r",
        )

        async def no_lag(tenant: str) -> ProjectionLag:
            return ProjectionLag(projection="none", checkpoint=0, stream_head=0, lag=0)

        app = create_query_app(ReadModels(pool, ScoringPolicy()), no_lag, Gate(authority), auditor)
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://test",
                headers=bearer(authority, tenant, Role.AUDITOR),
            ) as client:
                yield client
        finally:
            await pool.close()
            await conn.close()


def key_results(body: dict[str, Any]) -> dict[str, Any]:
    return {k["key_result_id"]: k for k in body["key_results"]}


async def test_the_score_route_forecasts_a_kr_after_three_check_ins(
    api: httpx.AsyncClient, tenant: str
) -> None:
    path = f"/tenants/{tenant}/goals/objective/co/score"
    body = (await api.get(path, params={"as_of": AS_OF})).json()
    one_check_in = (await api.get(path, params={"as_of": "2026-10-15T09:00:00Z"})).json()

    forecast = key_results(body)["signups"]["forecast"]
    assert forecast["value"] == pytest.approx(LANDS_AT)
    assert forecast["score"] == pytest.approx((LANDS_AT - 100) / 200)
    assert forecast["low"] == pytest.approx(forecast["score"])
    assert forecast["high"] == pytest.approx(forecast["score"])
    assert (forecast["at"], forecast["observations"], forecast["method"]) == (
        "2027-01-01T00:00:00Z",
        3,
        "least_squares",
    )
    assert forecast["sentence"] == "likely to land at 0.51 (0.51\u20130.51)"
    assert key_results(body)["quiet"]["forecast"] is None  # no check-in at all
    # As of Oct 15 only the first check-in was valid: nothing to draw a line through.
    assert key_results(one_check_in)["signups"]["forecast"] is None


async def test_the_report_shows_the_forecast_the_score_route_shows(
    api: httpx.AsyncClient, tenant: str
) -> None:
    score = (
        await api.get(f"/tenants/{tenant}/goals/objective/co/score", params={"as_of": AS_OF})
    ).json()
    path = f"/tenants/{tenant}/audit/cycles/2026-q4/report"
    report = (await api.get(path, params={"as_of": AS_OF})).json()
    markdown = (await api.get(path, params={"as_of": AS_OF, "format": "markdown"})).text
    page = (await api.get(path, params={"as_of": AS_OF, "format": "html"})).text

    [goal] = report["goals"]
    assert key_results(goal)["signups"]["forecast"] == key_results(score)["signups"]["forecast"]
    assert key_results(goal)["quiet"]["forecast"] is None
    assert "## Forecasts" in markdown
    row = "| co / signups: signups | 3 | 201.62 | 201.62 \u2013 201.62 | 2027-01-01 00:00Z |"
    assert row in markdown
    assert "likely to land at 0.51 (0.51\u20130.51)" in markdown
    assert "<h2>Forecasts</h2>" in page
    assert "<td>likely to land at 0.51 (0.51\u20130.51)</td>" in page


async def test_live_and_replayed_forecasts_agree_field_by_field(
    api: httpx.AsyncClient, tenant: str
) -> None:
    reply = await api.get(f"/tenants/{tenant}/audit/consistency", params={"as_of": AS_OF})

    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["consistent"], body["differences"]
    assert body["goals_compared"] == 1
