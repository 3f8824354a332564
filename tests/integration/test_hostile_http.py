"""Hostile and careless input over HTTP: a typed 4xx in the app's error shape, never a 500;
one size limit for commands, the service's."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pytest

from services.application.auth import ALGORITHM, ISSUER, Role, TokenAuthority
from services.application.codec import MAX_REQUEST_BYTES
from services.bootstrap import CommandService
from tests.integration.conftest import TEST_SECRET, bearer

pytestmark = pytest.mark.integration
Q4 = {"id": "2026-q4", "starts_on": "2026-10-01", "ends_on": "2026-12-31"}


def objective(**fields: Any) -> dict[str, Any]:
    return {
        "objective_id": "o1",
        "title": "Grow",
        "level": "company",
        "owner": "ceo",
        "cycle": Q4,
        "meta": {"now": "2026-11-02T09:00:00Z"},
        **fields,
    }


async def post_command(
    http: httpx.AsyncClient, authority: TokenAuthority, tenant: str, body: bytes
) -> httpx.Response:
    return await http.post(
        f"/tenants/{tenant}/commands/create_objective",
        content=body,
        headers={**bearer(authority, tenant, Role.ADMIN), "content-type": "application/json"},
    )


async def stored(service: CommandService, tenant: str) -> int:
    return len(await service.store.load_tenant(tenant))


def error_of(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


async def test_deeply_nested_json_is_a_malformed_request(
    http: httpx.AsyncClient, authority: TokenAuthority, service: CommandService, tenant: str
) -> None:
    response = await post_command(http, authority, tenant, b"[" * 3000 + b"]" * 3000)

    assert error_of(response) == (400, "malformed_request")


@pytest.mark.parametrize(
    "padding",
    [
        pytest.param("é" * 242_000, id="484-KB-non-ascii"),
        pytest.param("x" * (MAX_REQUEST_BYTES + 1), id="just-over-the-service-limit"),
    ],
)
async def test_a_body_the_service_would_refuse_for_size_is_413(
    http: httpx.AsyncClient,
    authority: TokenAuthority,
    service: CommandService,
    tenant: str,
    padding: str,
) -> None:
    body = json.dumps(objective(description=padding), ensure_ascii=False).encode()

    response = await post_command(http, authority, tenant, body)

    assert error_of(response) == (413, "too_large")
    assert await stored(service, tenant) == 0


async def test_non_ascii_under_the_limit_is_judged_not_inflated(
    http: httpx.AsyncClient, authority: TokenAuthority, service: CommandService, tenant: str
) -> None:
    # 240 KB as UTF-8, 720 KB if re-encoded as \\u escapes: still judged on its fields.
    body = json.dumps(objective(description="é" * 120_000), ensure_ascii=False).encode()

    response = await post_command(http, authority, tenant, body)

    assert error_of(response) == (422, "invalid_command")
    assert [v["criterion"] for v in response.json()["error"]["violations"]] == ["description"]


async def test_unstorable_text_over_http_is_refused_by_field(
    http: httpx.AsyncClient, authority: TokenAuthority, service: CommandService, tenant: str
) -> None:
    body = json.dumps(objective(title="a\u0000b")).encode()

    response = await post_command(http, authority, tenant, body)

    assert error_of(response) == (422, "invalid_command")
    assert [v["criterion"] for v in response.json()["error"]["violations"]] == ["title"]
    assert await stored(service, tenant) == 0


@pytest.mark.parametrize(
    ("as_of", "hint"),
    [
        ("1763164800", "not a number"),
        ("2026-11-15T00:00:00+01:00", "%2B01:00"),  # the '+' arrives as a space
        ("2026-11-15", "2026-11-15T00:00:00Z"),
    ],
)
async def test_an_instant_the_api_cannot_read_gets_a_hint_that_works(
    http: httpx.AsyncClient, authority: TokenAuthority, tenant: str, as_of: str, hint: str
) -> None:
    headers = bearer(authority, tenant, Role.AUDITOR)
    url = f"/tenants/{tenant}/cycles/2026-q4/scores"

    refused = await http.get(f"{url}?as_of={as_of}", headers=headers)

    assert refused.status_code == 422
    (violation,) = refused.json()["error"]["violations"]
    assert violation["criterion"] == "query.as_of"
    assert hint in violation["message"]
    if hint.startswith("2026"):
        assert (await http.get(url, params={"as_of": hint}, headers=headers)).status_code == 200


async def test_an_unknown_command_over_http_is_a_typed_404(
    http: httpx.AsyncClient, authority: TokenAuthority, tenant: str
) -> None:
    response = await http.post(
        f"/tenants/{tenant}/commands/nope", json={}, headers=bearer(authority, tenant, Role.ADMIN)
    )

    assert error_of(response) == (404, "unknown_command")


@pytest.mark.parametrize(
    ("path", "role", "status"),
    [
        ("audit/cycles/nope/report", Role.AUDITOR, 404),
        ("audit/key-result-adjustments?actor=%00", Role.AUDITOR, 422),
        ("audit/key-result-adjustments?actor=" + "a" * 201, Role.AUDITOR, 422),
        ("progress/dead-letters?after=18446744073709551615", Role.INTEGRATION, 422),
        ("progress/dead-letters?after=-1", Role.INTEGRATION, 422),
        ("cycles/2026-q4/scores?as_of=9999-12-31T00:00:00Z", Role.AUDITOR, 422),
        ("audit/cycles/2026-q4/report?as_of=1969-12-31T23:00:00Z", Role.AUDITOR, 422),
        ("cycles/2026-q4/scores?as_of=1763164800", Role.AUDITOR, 422),  # an epoch number
    ],
)
async def test_hostile_query_parameters_get_a_typed_4xx(
    http: httpx.AsyncClient,
    authority: TokenAuthority,
    tenant: str,
    path: str,
    role: Role,
    status: int,
) -> None:
    response = await http.get(f"/tenants/{tenant}/{path}", headers=bearer(authority, tenant, role))

    assert response.status_code == status, response.text
    assert response.json()["ok"] is False
    assert response.json()["error"]["code"] == {404: "not_found", 422: "invalid_parameters"}[status]


async def test_a_token_whose_subject_cannot_be_an_actor_is_refused(
    http: httpx.AsyncClient, authority: TokenAuthority, tenant: str
) -> None:
    with pytest.raises(ValueError, match="1 to 200 characters"):
        authority.issue(tenant, Role.INTEGRATION, "s" * 201, datetime.now(UTC))
    # Minted elsewhere with the same secret: refused as a token, not failed as a report.
    claims = {
        "iss": ISSUER,
        "sub": "s" * 201,
        "tenant": tenant,
        "role": "integration",
        "iat": int(datetime.now(UTC).timestamp()),
        "exp": int(datetime.now(UTC).timestamp()) + 60,
        "jti": "minted-elsewhere",
    }
    token = jwt.encode(claims, TEST_SECRET, algorithm=ALGORITHM)

    response = await http.post(
        f"/tenants/{tenant}/progress", json={}, headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 401
    assert "subject" in response.json()["error"]["message"]
