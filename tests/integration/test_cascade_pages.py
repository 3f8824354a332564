"""The cascade in pages and as a stream: the same nodes, order and roll-ups as the full tree,
over real read models; bounds, cursors and tenants held apart."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from nats.aio.client import Client

from benchmarks.common import fill
from benchmarks.workload import COMPANY_OBJECTIVE, Organisation
from projections.runner import Projector
from services.adapters.stream import StreamSettings
from services.application.auth import Role, TokenAuthority
from services.bootstrap import CommandService
from services.client import OkrClient
from tests.integration.conftest import bearer
from tests.integration.query_app import projected_query_app
from tests.integration.test_projections import at, scripted_quarter

pytestmark = pytest.mark.integration
AS_OF = "2026-11-15T00:00:00Z"
ROOT = f"cascade/objective/{COMPANY_OBJECTIVE}"
Flat = tuple[Any, ...]


class Api:
    """The query app over the projected read models, and a way to project again."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        anywhere: httpx.AsyncClient,
        projector: Projector,
        okr: OkrClient,
        other: str,
    ) -> None:
        self.client = client  # under the test tenant's path, with its member's token
        self.anywhere = anywhere  # absolute paths, no token
        self.projector = projector
        self.okr = okr  # the scripted quarter's tenant
        self.other = other  # a second tenant with an organisation of the same ids


@pytest.fixture
async def api(
    nats_client: Client,
    service: CommandService,
    stream_settings: StreamSettings,
    database_url: str,
    pg_schema: str,
    tenant: str,
    authority: TokenAuthority,
) -> AsyncIterator[Api]:
    other = f"{tenant}-b"
    for name in (tenant, other):
        await fill(nats_client, stream_settings.subjects, Organisation(name, goals=70).quarter(1))
    okr = OkrClient(nats_client, f"{tenant}-s", "ana", service.subjects)
    await scripted_quarter(okr)
    projected = projected_query_app(nats_client, service, database_url, pg_schema, authority)
    async with projected as (app, projector):
        transport = httpx.ASGITransport(app=app)
        async with (
            httpx.AsyncClient(
                transport=transport, base_url=f"http://test/tenants/{tenant}"
            ) as client,
            httpx.AsyncClient(transport=transport, base_url="http://test") as anywhere,
        ):
            client.headers.update(bearer(authority, tenant, Role.MEMBER))
            yield Api(client, anywhere, projector, okr, other)


def _flat(node: dict[str, Any], depth: int = 0, parent: str | None = None) -> list[Flat]:
    """The full tree's nodes in depth-first pre-order, as a page shows each."""
    goal = node["goal"]
    line = (goal, depth, parent, node["aligned_to_key_result"], node["rolled_up_score"])
    found = [(*line, len(node["children"]))]
    for child in node["children"]:
        found += _flat(child, depth + 1, goal["goal_id"])
    return found


def _entry(node: dict[str, Any]) -> Flat:
    keys = ("goal", "depth", "parent", "aligned_to_key_result", "rolled_up_score", "children")
    return tuple(node[k] for k in keys)


async def _walk(
    client: httpx.AsyncClient, path: str, headers: dict[str, str] | None = None, **params: Any
) -> list[Flat]:
    """Every page of ``path`` from the first, following ``next``."""
    found: list[Flat] = []
    cursor: str | None = None
    while True:
        query = {**params, "as_of": AS_OF} | ({} if cursor is None else {"cursor": cursor})
        reply = await client.get(f"{path}/page", params=query, headers=headers)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert len(body["nodes"]) <= params.get("limit", 100)
        found += [_entry(n) for n in body["nodes"]]
        cursor = body["next"]
        if cursor is None:
            return found


async def _full(
    client: httpx.AsyncClient, path: str = ROOT, headers: dict[str, str] | None = None
) -> list[Flat]:
    reply = await client.get(path, params={"as_of": AS_OF}, headers=headers)
    assert reply.status_code == 200
    return _flat(reply.json())


@pytest.mark.parametrize("limit", [1, 7, 100])
async def test_pages_walk_the_whole_tree_once_in_order(api: Api, limit: int) -> None:
    full = await _full(api.client)
    assert len(full) == 70
    assert max(f[1] for f in full) >= 2

    assert await _walk(api.client, ROOT, limit=limit) == full


async def test_a_depth_limit_keeps_the_full_trees_roll_ups(api: Api) -> None:
    full = await _full(api.client)

    shallow = await _walk(api.client, ROOT, limit=5, depth=1)
    assert shallow == [f for f in full if f[1] <= 1]
    assert shallow[0][5] == len(shallow) - 1  # the root's children, all on the pages
    [alone] = await _walk(api.client, ROOT, depth=0)
    assert alone == full[0]


async def test_a_subtree_below_the_top_pages_as_its_own_tree(api: Api) -> None:
    full = await _full(api.client)
    team = next(f for f in full if f[1] == 1 and f[5] > 0)
    path = f"cascade/objective/{team[0]['goal_id']}"
    below = await _walk(api.client, path, limit=2)

    assert below == await _full(api.client, path)
    assert below[0][4] == team[4]  # the same roll-up as inside the company's tree


async def test_the_stream_is_the_full_tree_one_node_a_line(api: Api) -> None:
    full = await _full(api.client)
    async with api.client.stream("GET", f"{ROOT}/stream", params={"as_of": AS_OF}) as reply:
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(line) async for line in reply.aiter_lines() if line]

    assert [_entry(n) for n in lines] == full


async def test_pages_follow_a_change_to_the_tree(
    api: Api, authority: TokenAuthority, tenant: str
) -> None:
    scripted = f"{tenant}-s"
    path = f"/tenants/{scripted}/cascade/objective/co"
    headers = bearer(authority, scripted, Role.MEMBER)
    before = await _walk(api.anywhere, path, headers, limit=1)
    await api.okr.execute(
        "record_check_in",
        goal_type="objective",
        goal_id="team",
        key_result_id="act",
        value=90,
        confidence=0.8,
        meta=at(4),
    )
    await api.projector.catch_up()

    after = await _walk(api.anywhere, path, headers, limit=1)
    assert after == await _full(api.anywhere, path, headers)
    assert [f[0]["goal_id"] for f in after] == ["co", "team", "guides"]
    assert after[1][4] != before[1][4]  # the team's roll-up moved with its check-in


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 1001},
        {"limit": "many"},
        {"depth": -1},
        {"depth": 65},
        {"cursor": "!!!"},
        {"cursor": base64.urlsafe_b64encode(b'{"a": 1}').decode()},
        {"cursor": base64.urlsafe_b64encode(b'[1,"t",["objective","x"],null,[["x"]]]').decode()},
        {"cursor": "x" * 9000},
    ],
)
async def test_bad_bounds_and_cursors_are_422(api: Api, params: dict[str, Any]) -> None:
    reply = await api.client.get(f"{ROOT}/page", params=params)

    assert reply.status_code == 422
    body = reply.json()
    assert body["ok"] is False
    assert body["error"]["code"] == "invalid_parameters"
    assert body["error"]["violations"][0]["criterion"].startswith("query.")


async def test_a_cursor_continues_only_its_own_query(api: Api) -> None:
    cursor = (await api.client.get(f"{ROOT}/page", params={"limit": 3})).json()["next"]

    deeper = await api.client.get(f"{ROOT}/page", params={"cursor": cursor, "depth": 1})
    assert deeper.status_code == 422
    assert deeper.json()["error"]["violations"][0]["code"] == "cursor_mismatch"
    other_goal = await api.client.get("cascade/objective/t0-o0/page", params={"cursor": cursor})
    assert other_goal.status_code == 422


async def test_a_cursor_shows_another_tenant_nothing_of_its_own(
    api: Api, authority: TokenAuthority, tenant: str
) -> None:
    cursor = (await api.client.get(f"{ROOT}/page", params={"limit": 3})).json()["next"]
    theirs = f"/tenants/{api.other}/{ROOT}/page"
    headers = bearer(authority, api.other, Role.MEMBER)

    reused = await api.anywhere.get(theirs, params={"cursor": cursor}, headers=headers)
    assert reused.status_code == 422
    # Rewritten to name the other tenant, it is only a place in that tenant's own tree.
    body = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    body[1] = api.other
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
    page = await api.anywhere.get(theirs, params={"cursor": forged}, headers=headers)
    assert page.status_code == 200
    nodes = page.json()["nodes"]
    assert nodes
    assert {n["goal"]["tenant_id"] for n in nodes} == {api.other}


@pytest.mark.parametrize("route", ["page", "stream"])
async def test_an_unknown_goal_is_404(api: Api, route: str) -> None:
    reply = await api.client.get(f"cascade/objective/nope/{route}")

    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "not_found"


async def test_the_document_names_the_parameters_and_the_stream(api: Api) -> None:
    document = (await api.anywhere.get("/openapi.json")).json()
    page = document["paths"]["/tenants/{tenant}/cascade/{goal_type}/{goal_id}/page"]["get"]
    stream = document["paths"]["/tenants/{tenant}/cascade/{goal_type}/{goal_id}/stream"]["get"]

    assert {p["name"] for p in page["parameters"]} >= {"limit", "depth", "cursor", "as_of"}
    assert "application/x-ndjson" in stream["responses"]["200"]["content"]
