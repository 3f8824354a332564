"""Auditors against real servers: a scripted quarter replayed as of several instants."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, cast

import asyncpg
import httpx
import pytest
from nats.aio.client import Client

from events.scoring_policy import ScoringPolicy
from events.values import Cycle
from projections.audit.axes import TimeAxes
from projections.audit.consistency import table_keys
from projections.audit.replay import replay_tenant
from projections.audit.report import AuditReport
from projections.migrations import migrate
from projections.queries import ReadModels
from projections.runner import Projector
from projections.views import ProjectionLag, TenantLag
from services.adapters.stream import StreamSettings
from services.application.auditor import Auditor
from services.application.auth import Role, TokenAuthority
from services.bootstrap import CommandService, command_service
from services.client import OkrClient
from services.entrypoints.http.app import Lags, create_query_app
from services.entrypoints.http.auth import Gate
from services.settings import Settings
from tests.integration.conftest import bearer, log_of

pytestmark = pytest.mark.integration
Q4 = Cycle.quarter("2026-q4").model_dump(mode="json")


def day(month: int, d: int) -> datetime:
    return datetime(2026, month, d, 9, tzinfo=UTC)


class Clock:
    """The service's recorded-at clock, moved by the script."""

    def __init__(self) -> None:
        self.now = day(10, 1)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def scripted(
    nats_client: Client,
    nats_url: str,
    stream_settings: StreamSettings,
    clock: Clock,
    tenant: str,
) -> AsyncIterator[CommandService]:
    """A quarter: a KR target adjusted mid-way, a back-dated check-in, a late report."""
    settings = Settings(
        nats_url=nats_url,
        stream_name=stream_settings.name,
        subject_root=stream_settings.subjects.root,
    )
    async with command_service(settings, nats_url, clock) as service:
        okr = OkrClient(nats_client, tenant, "ana", service.subjects)

        async def at(
            recorded: datetime, command: str, occurred: datetime | None = None, **body: Any
        ) -> None:
            clock.now = recorded
            meta = {"now": (occurred or recorded).isoformat()}
            await okr.execute(command, meta=meta, **body)

        kr = {"goal_type": "objective", "goal_id": "co", "key_result_id": "arr"}
        await at(
            day(10, 1),
            "create_objective",
            objective_id="co",
            title="Grow",
            level="company",
            owner="ceo",
            cycle=Q4,
        )
        await at(
            day(10, 1),
            "add_key_result",
            objective_id="co",
            key_result_id="arr",
            terms={
                "title": "ARR",
                "weight": 1,
                "metric": {"kind": "currency", "baseline": 100, "target": 200},
            },
        )
        await at(day(10, 15), "record_check_in", value=120, confidence=0.5, **kr)
        await at(day(11, 1), "record_check_in", value=150, confidence=0.6, **kr)
        await at(
            day(11, 5),
            "adjust_key_result",
            objective_id="co",
            key_result_id="arr",
            reason="a market closed",
            metric={"kind": "currency", "baseline": 100, "target": 175},
        )
        # Told on Nov 20 what happened on Nov 10: a back-dated check-in.
        await at(
            day(11, 20),
            "record_check_in",
            applies_at=day(11, 10).isoformat(),
            value=160,
            confidence=0.8,
            **kr,
        )
        # An integration's report of Nov 3, arriving on Nov 21: late and superseded.
        await at(
            day(11, 21),
            "report_progress",
            source="crm",
            idempotency_key="crm-77",
            value=140,
            observed_at=day(11, 3).isoformat(),
            **kr,
        )
        yield service


@pytest.fixture
def auditor(scripted: CommandService, database_url: str, pg_schema: str) -> Auditor:
    # Replays named after the test's schema: a shared server may hold others' replays.
    return Auditor(
        log_of(scripted),
        database_url,
        pg_schema,
        ScoringPolicy(),
        replay_prefix=f"{pg_schema}_r",
        replay_workers=2,  # in parallel, however small the log
        parallel_from=0,
        keys=scripted.keys,
    )


def arr(report: AuditReport) -> Any:
    [goal] = report.goals
    [kr] = goal.key_results
    return kr


@pytest.mark.parametrize(
    ("as_of", "known_at", "score", "target"),
    [
        (day(10, 20), day(10, 20), 0.2, 200),
        (day(11, 2), day(11, 2), 0.5, 200),
        (day(11, 6), day(11, 6), 50 / 75, 175),
        # As of Nov 15, known later, the check-in of Nov 10 told on Nov 20 counts ...
        (day(11, 15), day(11, 22), 60 / 75, 175),
        # ... but on Nov 15 the service had not been told of it yet.
        (day(11, 15), day(11, 15), 50 / 75, 175),
        (day(11, 22), day(11, 22), 60 / 75, 175),
        # As of Nov 4, known later: the late report of Nov 3 is the last value that held,
        # and the adjustment of Nov 5 was not yet in force.
        (day(11, 4), day(11, 22), 0.4, 200),
    ],
)
async def test_scores_as_of_an_instant(
    auditor: Auditor,
    tenant: str,
    as_of: datetime,
    known_at: datetime,
    score: float,
    target: float,
) -> None:
    report = await auditor.report(tenant, "2026-q4", TimeAxes(as_of, known_at))

    kr = arr(report)
    assert kr.final_score == pytest.approx(score)
    assert kr.target == target
    assert report.goals[0].final_score == pytest.approx(score)


async def test_the_report_tells_the_quarters_story(auditor: Auditor, tenant: str) -> None:
    report = await auditor.report(tenant, "2026-q4", TimeAxes(day(11, 22), day(11, 22)))

    kr = arr(report)
    assert [p.value for p in kr.history] == [120, 150, 160, 140]
    # The target in force when each value held: the report of Nov 3 came before Nov 5's change.
    assert [p.target_in_force for p in kr.history] == [200, 200, 175, 200]
    flagged = [(p.value, p.late, p.back_dated, p.superseded) for p in kr.history]
    assert flagged[2:] == [(160, False, True, False), (140, True, False, True)]
    assert (kr.history[3].source, kr.history[3].idempotency_key) == ("crm", "crm-77")
    [adjustment] = kr.adjustments
    assert adjustment.reason == "a market closed"
    assert adjustment.mid_cycle
    assert adjustment.score_under_original == pytest.approx(0.5)
    assert adjustment.score_under_revised == pytest.approx(50 / 75)
    assert kr.original_target == 200
    assert kr.final_score_under_original_target == pytest.approx(0.6)
    assert report.events_considered == 7
    assert len(report.source_digest) == 64


async def test_the_same_log_gives_the_same_digest(auditor: Auditor, tenant: str) -> None:
    first = await auditor.report(tenant, "2026-q4", TimeAxes(day(11, 22), day(11, 22)))
    second = await auditor.report(tenant, "2026-q4", TimeAxes(day(11, 22), day(11, 22)))
    earlier = await auditor.report(tenant, "2026-q4", TimeAxes(day(11, 2), day(11, 2)))

    assert first.source_digest == second.source_digest != earlier.source_digest


@pytest.fixture
async def live(
    scripted: CommandService, nats_client: Client, database_url: str, pg_schema: str
) -> AsyncIterator[asyncpg.Connection]:
    """The scripted quarter projected into the test's live schema."""
    conn = await asyncpg.connect(database_url)
    try:
        await Projector(
            nats_client, conn, scripted.stream_name, pg_schema, ScoringPolicy(), keys=scripted.keys
        ).catch_up()
        yield conn
    finally:
        await conn.close()


async def test_replay_to_now_equals_the_live_projection(
    auditor: Auditor, live: asyncpg.Connection, tenant: str
) -> None:
    assert await auditor.check_consistency(tenant) == []


async def test_a_tampered_read_model_is_reported(
    auditor: Auditor, live: asyncpg.Connection, pg_schema: str, tenant: str
) -> None:
    await live.execute(f'UPDATE "{pg_schema}".key_results SET score = 1.0')

    [difference] = await auditor.check_consistency(tenant)
    assert (difference.table, difference.kind, difference.columns) == (
        "key_results",
        "differs",
        ("score",),
    )


async def test_the_scripted_log_verifies(auditor: Auditor, tenant: str) -> None:
    verification = await auditor.verify(tenant)

    assert verification.ok
    assert verification.events_checked == 7
    assert set(verification.tenant_heads) == {tenant}


async def test_replays_leave_no_schema_behind(
    auditor: Auditor, database_url: str, tenant: str, pg_schema: str
) -> None:
    await auditor.report(tenant, "2026-q4", TimeAxes(day(11, 22), day(11, 22)))
    conn = await asyncpg.connect(database_url)
    try:
        left = await conn.fetch(
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)", f"{pg_schema}_r"
        )
    finally:
        await conn.close()
    assert left == []


async def test_an_interrupted_replay_leaves_nothing_half_built(
    scripted: CommandService, database_url: str, pg_schema: str, tenant: str
) -> None:
    def interrupt(read: int, selected: int) -> None:
        raise KeyboardInterrupt  # as Ctrl-C would, in the middle of the replay

    conn = await asyncpg.connect(database_url)
    try:
        with pytest.raises(KeyboardInterrupt):
            await replay_tenant(
                log_of(scripted),
                conn,
                tenant,
                TimeAxes(day(11, 22), day(11, 22)),
                f"{pg_schema}_cut",
                ScoringPolicy(),
                progress=interrupt,
            )
        left = await conn.fetchval(
            "SELECT count(*) FROM pg_namespace WHERE nspname = $1", f"{pg_schema}_cut"
        )
    finally:
        await conn.close()
    assert left == 0


@pytest.fixture
async def audit_api(
    auditor: Auditor, authority: TokenAuthority, tenant: str
) -> AsyncIterator[httpx.AsyncClient]:
    lags = Lags(_no_lag, _no_tenant_lag)
    models = ReadModels(cast(asyncpg.Pool, None), ScoringPolicy())
    app = create_query_app(models, lags, Gate(authority), auditor)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers=bearer(authority, tenant, Role.AUDITOR),
    ) as client:
        yield client


async def _no_lag(tenant: str) -> ProjectionLag:
    return ProjectionLag(projection="none", checkpoint=0, stream_head=0, lag=0)


async def _no_tenant_lag(tenant: str) -> TenantLag:
    return TenantLag(projection="none", tenant=tenant, caught_up=True)


async def test_the_report_over_http_in_each_format(
    audit_api: httpx.AsyncClient, tenant: str
) -> None:
    path = f"/tenants/{tenant}/audit/cycles/2026-q4/report"
    params = {"as_of": "2026-11-15T09:00:00Z", "known_at": "2026-11-22T09:00:00Z"}

    body = (await audit_api.get(path, params=params)).json()
    # The older single-axis question still works: "occurred" is as of then, known now.
    alias = await audit_api.get(path, params={"as_of": params["as_of"], "basis": "occurred"})
    known_then = await audit_api.get(path, params={**params, "known_at": params["as_of"]})
    markdown = await audit_api.get(path, params={**params, "format": "markdown"})
    page = await audit_api.get(path, params={**params, "format": "html"})

    assert body["goals"][0]["key_results"][0]["final_score"] == pytest.approx(60 / 75)
    assert alias.json()["goals"][0]["key_results"][0]["final_score"] == pytest.approx(60 / 75)
    assert known_then.json()["goals"][0]["key_results"][0]["final_score"] == pytest.approx(50 / 75)
    assert (body["as_of"], body["known_at"]) == ("2026-11-15T09:00:00Z", "2026-11-22T09:00:00Z")
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert body["source_digest"] in markdown.text
    assert page.headers["content-type"].startswith("text/html")
    assert "<svg" in page.text


async def test_audit_endpoints_refuse_bad_input(audit_api: httpx.AsyncClient, tenant: str) -> None:
    path = f"/tenants/{tenant}/audit/cycles/2026-q4/report"
    assert (await audit_api.get(path, params={"as_of": "2026-11-15T09:00:00"})).status_code == 422
    assert (await audit_api.get(path, params={"basis": "whenever"})).status_code == 422
    # Over HTTP the older alias yields to known_at (the document cannot say "not both").
    both = {"basis": "recorded", "known_at": "2026-11-15T09:00:00Z"}
    assert (await audit_api.get(path, params=both)).status_code == 200
    missing = f"/tenants/{tenant}/audit/cycles/1999-q1/report"
    assert (await audit_api.get(missing)).status_code == 404


async def test_verify_and_consistency_over_http(audit_api: httpx.AsyncClient, tenant: str) -> None:
    verified = (await audit_api.get(f"/tenants/{tenant}/audit/verify")).json()
    assert verified["findings"] == []
    assert verified["events_checked"] == 7
    # The live models of this test were never projected: the replay has all, live nothing.
    found = (await audit_api.get(f"/tenants/{tenant}/audit/consistency")).json()
    assert found["consistent"] is False
    assert {d["live"] for d in found["differences"]} == {"(absent)"}
    assert ("objective/co", "key_results.arr.score") in {
        (d["goal"], d["field"]) for d in found["differences"]
    }


async def test_an_unencoded_plus_gets_a_hint_that_works(
    audit_api: httpx.AsyncClient, tenant: str
) -> None:
    path = f"/tenants/{tenant}/audit/cycles/2026-q4/report"
    # As a shell user would type it: the "+" of the zone reaches the server as a space.
    refused = await audit_api.get(f"{path}?as_of=2026-11-15T09:00:00+00:00")

    assert refused.status_code == 422
    error = refused.json()["error"]
    (violation,) = error["violations"]
    assert (error["code"], violation["code"], violation["criterion"]) == (
        "invalid_parameters",
        "unencoded_plus",
        "query.as_of",
    )
    suggested = re.search(r"encoded \((\S+)\)", violation["message"])
    assert suggested is not None
    assert (await audit_api.get(f"{path}?as_of={suggested.group(1)}")).status_code == 200


async def test_the_consistency_check_compares_every_read_model_table(
    database_url: str, pg_schema: str
) -> None:
    """Its tables come from the catalog: each read model by its key, parked tenants aside,
    and a table a later migration adds is compared without being listed anywhere."""
    conn = await asyncpg.connect(database_url)
    try:
        await migrate(conn, pg_schema)
        assert await table_keys(conn, pg_schema) == {
            "goals": ("goal_type", "goal_id"),
            "key_results": ("objective_id", "key_result_id"),
            "alignments": ("child_type", "child_id", "parent_objective_id", "parent_key_result_id"),
            "progress_entries": ("stream_sequence",),
            "key_result_adjustments": ("stream_sequence",),
            "tenant_settings": ("stream_sequence",),
            "scoring_policy_changes": ("stream_sequence",),
        }
        await conn.execute(
            f'CREATE TABLE "{pg_schema}".later (tenant_id text, day date, n int,'
            " PRIMARY KEY (tenant_id, day))"
        )
        assert (await table_keys(conn, "no_such_schema", pg_schema))["later"] == ("day",)
    finally:
        await conn.close()
