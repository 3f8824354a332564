"""The HTTP API over a running service: every route scoped to the token's tenant and role;
commands and integration progress over HTTP behave as over NATS."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.application.auth import Role, TokenAuthority
from services.bootstrap import CommandService
from tests.integration.conftest import bearer

pytestmark = pytest.mark.integration
Q4 = {"id": "2026-q4", "starts_on": "2026-10-01", "ends_on": "2026-12-31"}
PATH_VALUES = {
    "goal_type": "objective",
    "goal_id": "o1",
    "cycle_id": "2026-q4",
    "command": "create_objective",
    "seal_id": "0" * 64,
    "event_id": "00000000-0000-0000-0000-000000000000",
}


async def tenant_routes(http: httpx.AsyncClient, tenant: str) -> list[tuple[str, str]]:
    """(method, path) of every route under /tenants/{tenant}, from the live OpenAPI document."""
    paths = (await http.get("/openapi.json")).json()["paths"]
    routes = [
        (method.upper(), path.format(tenant=tenant, **PATH_VALUES))
        for path, operations in paths.items()
        if path.startswith("/tenants/{tenant}")
        for method in operations
    ]
    assert len(routes) >= 19  # reads (8), audit (3), seals (5), commands, progress, dead letters
    return routes


async def call(
    http: httpx.AsyncClient, method: str, path: str, headers: dict[str, str]
) -> httpx.Response:
    return await http.request(method, path, headers=headers, json={} if method == "POST" else None)


def objective(objective_id: str = "o1") -> dict[str, Any]:
    return {
        "objective_id": objective_id,
        "title": "Grow",
        "level": "company",
        "owner": "ceo",
        "cycle": Q4,
        "meta": {"now": "2026-10-02T09:00:00Z", "actor": "ignored"},
    }


def key_result() -> dict[str, Any]:
    return {
        "objective_id": "o1",
        "key_result_id": "arr",
        "meta": {"now": "2026-10-02T09:00:00Z", "actor": "ignored"},
        "terms": {
            "title": "ARR",
            "weight": 1,
            "metric": {"kind": "currency", "baseline": 100, "target": 200},
        },
    }


def report(key: str, value: Any = 150.0) -> dict[str, Any]:
    return {
        "goal_type": "objective",
        "goal_id": "o1",
        "key_result_id": "arr",
        "value": value,
        "source": "jira",
        "idempotency_key": key,
        "observed_at": "2026-11-10T08:00:00Z",
    }


async def test_a_token_of_one_tenant_is_refused_on_every_route_of_another(
    http: httpx.AsyncClient, authority: TokenAuthority, tenant: str
) -> None:
    other = f"{tenant}-b"
    for role in Role:
        headers = bearer(authority, tenant, role)
        for method, path in await tenant_routes(http, other):
            reply = await call(http, method, path, headers)
            assert reply.status_code == 403, (role, method, path, reply.text)
            assert "tenant" in reply.json()["error"]["message"]


async def test_no_token_or_a_bad_one_is_401_everywhere(
    http: httpx.AsyncClient, authority: TokenAuthority, tenant: str
) -> None:
    forged = TokenAuthority("another-secret-of-at-least-thirty-two-bytes")
    expired = authority.issue(
        tenant, Role.ADMIN, "x", datetime.now(UTC) - timedelta(days=2), timedelta(days=1)
    )
    for headers in (
        {},
        bearer(forged, tenant, Role.ADMIN),
        {"Authorization": f"Bearer {expired}"},
        {"Authorization": "Bearer not-a-token"},
    ):
        for method, path in await tenant_routes(http, tenant):
            reply = await call(http, method, path, headers)
            assert reply.status_code == 401, (headers, method, path, reply.text)
    lag = await http.get("/projections/lag")
    assert lag.status_code == 401


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.INTEGRATION, {"progress"}),
        (Role.AUDITOR, {"read", "audit"}),
        (Role.MEMBER, {"read", "commands"}),
        (Role.ADMIN, {"read", "audit", "commands", "progress"}),
    ],
)
async def test_each_role_reaches_only_its_routes(
    http: httpx.AsyncClient, authority: TokenAuthority, tenant: str, role: Role, allowed: set[str]
) -> None:
    headers = bearer(authority, tenant, role)
    for method, path in await tenant_routes(http, tenant):
        kind = (
            "commands"
            if "/commands/" in path
            else "progress"
            if "/progress" in path
            else "audit"
            if any(f"/audit/{r}" in path for r in ("cycles", "seals", "proofs"))
            or path.endswith(("/audit/verify", "/audit/consistency"))
            else "read"
        )
        reply = await call(http, method, path, headers)
        if kind in allowed:
            assert reply.status_code not in (401, 403), (role, method, path, reply.text)
        else:
            assert reply.status_code == 403, (role, method, path, reply.text)
            assert "may not" in reply.json()["error"]["message"]


async def test_commands_over_http_record_the_token_holder_as_actor(
    http: httpx.AsyncClient, authority: TokenAuthority, tenant: str, service: CommandService
) -> None:
    headers = bearer(authority, tenant, Role.MEMBER, who="maria")

    created = await http.post(
        f"/tenants/{tenant}/commands/create_objective", json=objective(), headers=headers
    )
    again = await http.post(
        f"/tenants/{tenant}/commands/create_objective", json=objective(), headers=headers
    )
    unknown = await http.post(f"/tenants/{tenant}/commands/fly", json={}, headers=headers)
    invalid = await http.post(
        f"/tenants/{tenant}/commands/create_objective", content=b"{", headers=headers
    )

    assert created.status_code == 200
    assert created.json()["ok"] is True
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "goal_exists"
    assert unknown.status_code == 404
    assert invalid.status_code == 400
    [event] = await service.store.load_tenant(tenant)
    assert event.envelope.actor == "maria"


async def test_the_tenants_settings_are_changed_over_http_by_an_admin_only(
    http: httpx.AsyncClient, authority: TokenAuthority, tenant: str, service: CommandService
) -> None:
    path = f"/tenants/{tenant}/commands/set_check_in_cadence"
    cadence = {
        "goal_type": "smart_goal",
        "cadence": {"period_days": 30},
        "reason": "SMART goals are reviewed monthly",
        "meta": {"now": "2026-10-02T09:00:00Z"},
    }
    limit = {"max_goals_per_owner": 3, "meta": {"now": "2026-10-02T09:00:00Z"}}

    by_member = await http.post(path, json=cadence, headers=bearer(authority, tenant, Role.MEMBER))
    hygiene_by_member = await http.post(
        f"/tenants/{tenant}/commands/set_hygiene_policy",
        json=limit,
        headers=bearer(authority, tenant, Role.MEMBER),
    )
    by_admin = await http.post(
        path, json=cadence, headers=bearer(authority, tenant, Role.ADMIN, who="lena")
    )
    again = await http.post(path, json=cadence, headers=bearer(authority, tenant, Role.ADMIN))

    assert by_member.status_code == 403
    assert "may not set_check_in_cadence" in by_member.json()["error"]["message"]
    assert hygiene_by_member.status_code == 403
    assert by_admin.status_code == 200, by_admin.text
    assert again.status_code == 422
    assert again.json()["error"]["code"] == "nothing_changed"
    [event] = await service.store.load_tenant(tenant)  # the refused ones stored nothing
    e = event.envelope
    assert (e.event_type, e.aggregate_type.value, e.aggregate_id, e.actor) == (
        "check_in_cadence.set",
        "tenant_setting",
        "check_in_cadence",
        "lena",
    )
    assert e.payload.model_dump(mode="json")["cadence"]["period_days"] == 30


async def test_progress_over_http_counts_once_and_dead_letters_bad_reports(
    http: httpx.AsyncClient, authority: TokenAuthority, tenant: str, service: CommandService
) -> None:
    member = bearer(authority, tenant, Role.MEMBER)
    for body in (objective(), key_result()):
        command = "create_objective" if "cycle" in body else "add_key_result"
        assert (
            await http.post(f"/tenants/{tenant}/commands/{command}", json=body, headers=member)
        ).status_code == 200
    jira = bearer(authority, tenant, Role.INTEGRATION, who="jira-connector")
    url = f"/tenants/{tenant}/progress"

    first = await http.post(url, json=report("JIRA-1"), headers=jira)
    again = await http.post(url, json=report("JIRA-1"), headers=jira)
    bad = await http.post(url, content=json.dumps(report("JIRA-2", float("nan"))), headers=jira)
    batch = await http.post(
        url,
        content=json.dumps({"reports": [report("JIRA-3"), report("JIRA-4", float("-inf"))]}),
        headers=jira,
    )
    huge = await http.post(url, content=b"x" * (600 * 1024), headers=jira)

    assert (first.status_code, first.json()["accepted"]) == (200, 1)
    assert (again.status_code, again.json()["duplicates"]) == (200, 1)
    assert bad.status_code == 422
    assert bad.json()["results"][0]["error"]["code"] == "invalid_report"
    assert batch.status_code == 200
    assert (batch.json()["accepted"], batch.json()["rejected"]) == (1, 1)
    assert huge.status_code == 413
    assert huge.json()["error"]["code"] == "too_large"
    progress = [
        e.envelope
        for e in await service.store.load_tenant(tenant)
        if e.envelope.event_type == "progress.reported"
    ]
    # The integration is the actor, as over NATS; the token only authorises.
    assert [(e.payload.idempotency_key, e.actor) for e in progress] == [
        ("JIRA-1", "integration:jira"),
        ("JIRA-3", "integration:jira"),
    ]
    kept = (await http.get(f"{url}/dead-letters", headers=jira)).json()
    assert [(k["code"], k["batch_index"]) for k in kept] == [
        ("invalid_report", None),
        ("invalid_report", 1),
        ("too_large", None),
    ]
    assert kept[0]["body"] == json.dumps(report("JIRA-2", float("nan")))
    assert len(kept[2]["body"]) == 512 * 1024  # kept truncated to the limit
