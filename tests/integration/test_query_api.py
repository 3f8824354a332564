"""The HTTP query API over real read models: answers, 404s, 422s and the OpenAPI document."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from nats.aio.client import Client

from projections.runner import PROJECTION_NAME
from services.application.auth import Role, TokenAuthority
from services.bootstrap import CommandService
from services.client import OkrClient
from tests.integration.conftest import bearer
from tests.integration.query_app import projected_query_app
from tests.integration.test_projections import scripted_quarter

pytestmark = pytest.mark.integration
AS_OF = "2026-11-15T00:00:00Z"


@pytest.fixture
async def api(
    nats_client: Client,
    service: CommandService,
    database_url: str,
    pg_schema: str,
    tenant: str,
    authority: TokenAuthority,
) -> AsyncIterator[httpx.AsyncClient]:
    await scripted_quarter(OkrClient(nats_client, tenant, "ana", service.subjects))
    projected = projected_query_app(nats_client, service, database_url, pg_schema, authority)
    async with (
        projected as (app, _),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://test",
            headers=bearer(authority, tenant, Role.MEMBER),
        ) as client,
    ):
        yield client


async def test_goal_score(api: httpx.AsyncClient, tenant: str) -> None:
    reply = await api.get(f"/tenants/{tenant}/goals/objective/co/score", params={"as_of": AS_OF})

    assert reply.status_code == 200
    body = reply.json()
    assert body["score"] == pytest.approx((3 * 50 / 75 + 0.5) / 4)
    assert [k["key_result_id"] for k in body["key_results"]] == ["arr", "churn"]
    assert body["expectation"] == 0.7
    assert body["pace"] in {"on_track", "at_risk", "off_track"}


async def test_cycle_scores_cascade_unaligned_and_history(
    api: httpx.AsyncClient, tenant: str
) -> None:
    scores = (await api.get(f"/tenants/{tenant}/cycles/2026-q4/scores")).json()
    assert {(g["goal_type"], g["goal_id"]) for g in scores} == {
        ("objective", "co"),
        ("objective", "team"),
        ("smart_goal", "guides"),
    }
    forest = (await api.get(f"/tenants/{tenant}/cycles/2026-q4/cascade")).json()
    assert [t["goal"]["goal_id"] for t in forest] == ["co"]
    assert forest[0]["children"][0]["aligned_to_key_result"] == "arr"
    assert (await api.get(f"/tenants/{tenant}/cycles/2026-q4/unaligned")).json() == []
    path = (await api.get(f"/tenants/{tenant}/cascade/smart_goal/guides/path")).json()
    assert [p["goal_id"] for p in path] == ["guides", "team", "co"]
    history = (await api.get(f"/tenants/{tenant}/goals/objective/team/check-ins")).json()
    assert [(h["kind"], h["value"]) for h in history] == [("check_in", 30)]


async def test_audit_log_filters(api: httpx.AsyncClient, tenant: str) -> None:
    base = f"/tenants/{tenant}/audit/key-result-adjustments"
    [entry] = (await api.get(base, params={"cycle_id": "2026-q4"})).json()
    assert entry["before"]["metric"]["target"] == 200
    assert entry["after"]["metric"]["target"] == 175
    assert (await api.get(base, params={"objective_id": "team"})).json() == []
    assert len((await api.get(base, params={"actor": "ana"})).json()) == 1


async def test_a_tenant_sees_only_its_own_lag(api: httpx.AsyncClient, tenant: str) -> None:
    body = (await api.get("/projections/lag")).json()
    assert body == {
        "projection": PROJECTION_NAME,
        "tenant": tenant,
        "caught_up": True,
        "parked": None,
    }


async def test_an_operator_sees_the_stream_wide_lag(
    api: httpx.AsyncClient, authority: TokenAuthority, tenant: str
) -> None:
    headers = bearer(authority, "ops", Role.OPERATOR)
    body = (await api.get("/projections/lag", headers=headers)).json()
    assert body["lag"] == 0
    assert body["checkpoint"] == body["stream_head"] > 0
    goals = await api.get(f"/tenants/{tenant}/cycles/2026-q4/scores", headers=headers)
    assert goals.status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/tenants/{t}/goals/objective/nope/score",
        "/tenants/{t}/cascade/objective/nope",
        "/tenants/{t}/cascade/objective/nope/path",
        "/tenants/{t}/goals/smart_goal/nope/check-ins",
    ],
)
async def test_unknown_goals_are_404(api: httpx.AsyncClient, tenant: str, path: str) -> None:
    reply = await api.get(path.format(t=tenant))
    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "not_found"
    assert "not found" in reply.json()["error"]["message"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/tenants/{t}/goals/objective/co/score", {"as_of": "yesterday"}),
        ("/tenants/{t}/goals/objective/co/score", {"as_of": "2026-11-15T00:00:00"}),
        ("/tenants/{t}/goals/kr/co/score", {}),
        ("/tenants/Bad.Tenant/goals/objective/co/score", {}),
    ],
)
async def test_bad_parameters_are_422(
    api: httpx.AsyncClient, tenant: str, path: str, params: dict[str, str]
) -> None:
    reply = await api.get(path.format(t=tenant), params=params)
    assert reply.status_code == 422


async def test_openapi_document_lists_the_endpoints(api: httpx.AsyncClient) -> None:
    paths = (await api.get("/openapi.json")).json()["paths"]
    assert "/tenants/{tenant}/audit/key-result-adjustments" in paths
    assert "/projections/lag" in paths
