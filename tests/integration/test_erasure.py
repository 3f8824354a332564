"""Erasure by crypto-shredding against real servers: a quarter with personal notes, one
person erased, everyone else and every number untouched."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from nats.aio.client import Client

from events.personal import ERASED
from events.values import Cycle
from services.application.auth import Role, TokenAuthority
from services.bootstrap import CommandService, ReadSide
from tests.integration.conftest import bearer

pytestmark = pytest.mark.integration
Q4 = Cycle.quarter("2026-q4").model_dump(mode="json")
ANA_SECRETS = (
    "Ana: complete the AWS certification by September 30",
    "Pass the AWS solutions architect exam",
    "Ana is struggling with the networking module",
    "Ana closes with the exam booked",
)
BO_SECRETS = ("Bo: lead the onboarding revamp", "Bo is ahead of plan on onboarding")
TEAM_NOTE = "Ana says the team pipeline is slow"  # Ana's words on a team goal


def meta(day: int) -> dict[str, Any]:
    return {"now": f"2026-11-{day:02d}T09:00:00Z", "actor": "ignored"}


def individual(goal_id: str, owner: str, title: str, kr_title: str) -> list[tuple[str, Any]]:
    metric = {"kind": "numeric", "baseline": 0, "target": 10}
    return [
        ("create_objective", {"objective_id": goal_id, "title": title, "level": "individual",
                              "owner": owner, "cycle": Q4, "commitment": "committed",
                              "meta": meta(2)}),
        ("add_key_result", {"objective_id": goal_id, "key_result_id": "kr",
                            "terms": {"title": kr_title, "weight": 1, "metric": metric},
                            "meta": meta(2)}),
    ]  # fmt: skip


def check_in(goal_id: str, value: float, note: str, day: int) -> tuple[str, Any]:
    return (
        "record_check_in",
        {"goal_type": "objective", "goal_id": goal_id, "key_result_id": "kr", "value": value,
         "confidence": 0.6, "note": note, "meta": meta(day)},
    )  # fmt: skip


async def send(
    http: httpx.AsyncClient, tenant: str, headers: dict[str, str], name: str, body: Any
) -> httpx.Response:
    return await http.post(f"/tenants/{tenant}/commands/{name}", json=body, headers=headers)


async def stored_bodies(nc: Client, stream: str) -> list[bytes]:
    """Every message the stream holds, as stored."""
    js = nc.jetstream()
    last = (await js.stream_info(stream)).state.last_seq
    return [(await js.get_msg(stream, seq)).data or b"" for seq in range(1, last + 1)]


async def every_row(database_url: str, schema: str) -> str:
    """The text of every row of every read-model table."""
    conn = await asyncpg.connect(database_url)
    try:
        tables = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema
        )
        rows = [
            str(dict(r))
            for t in tables
            for r in await conn.fetch(f'SELECT * FROM "{schema}"."{t["table_name"]}"')
        ]
    finally:
        await conn.close()
    return "\n".join(rows)


async def views(http: httpx.AsyncClient, tenant: str, headers: dict[str, str]) -> dict[str, str]:
    """What the HTTP API shows of the quarter: reads and the audit report in each format."""
    paths = {
        "scores": f"/tenants/{tenant}/cycles/2026-q4/scores?as_of=2026-11-20T00:00:00Z",
        "cascade": f"/tenants/{tenant}/cycles/2026-q4/cascade",
        "ana": f"/tenants/{tenant}/goals/objective/ana-cert/score",
        "check-ins": f"/tenants/{tenant}/goals/objective/ana-cert/check-ins",
        "team": f"/tenants/{tenant}/goals/objective/team-pipe/check-ins",
        "adjustments": f"/tenants/{tenant}/audit/key-result-adjustments",
        **{
            fmt: f"/tenants/{tenant}/audit/cycles/2026-q4/report?format={fmt}"
            for fmt in ("json", "markdown", "html")
        },
    }
    shown = {}
    for name, path in paths.items():
        response = await http.get(path, headers=headers)
        assert response.status_code == 200, (name, response.text)
        shown[name] = response.text
    return shown


async def test_an_erased_person_is_gone_everywhere_and_nothing_else_changes(
    service: CommandService,
    reads: ReadSide,
    http: httpx.AsyncClient,
    authority: TokenAuthority,
    database_url: str,
    pg_schema: str,
) -> None:
    tenant = f"acme{uuid.uuid4().hex[:6]}"
    admin = bearer(authority, tenant, Role.ADMIN, "lead")
    ana = bearer(authority, tenant, Role.MEMBER, "ana")
    script = [
        *individual("ana-cert", "ana", ANA_SECRETS[0], ANA_SECRETS[1]),
        *individual("bo-onboard", "bo", BO_SECRETS[0], "Onboarding steps shipped"),
        ("create_objective", {"objective_id": "team-pipe", "title": "Faster pipeline",
                              "level": "team", "owner": "platform", "cycle": Q4,
                              "commitment": "committed", "meta": meta(2)}),
        ("add_key_result", {"objective_id": "team-pipe", "key_result_id": "kr",
                            "terms": {"title": "Build minutes", "weight": 1, "metric":
                                      {"kind": "numeric", "baseline": 0, "target": 10}},
                            "meta": meta(2)}),
        ("adjust_key_result", {"objective_id": "ana-cert", "key_result_id": "kr", "weight": 2,
                               "reason": "Ana changed teams", "meta": meta(3)}),
        check_in("ana-cert", 4, ANA_SECRETS[2], 10),
        check_in("bo-onboard", 7, BO_SECRETS[1], 10),
        ("close_goal", {"goal_type": "objective", "goal_id": "ana-cert", "grade": 0.4,
                        "note": ANA_SECRETS[3], "meta": meta(20)}),
    ]  # fmt: skip
    for name, body in script:
        answer = await send(http, tenant, admin, name, body)
        assert answer.status_code == 200, (name, answer.text)
    team_note = await send(http, tenant, ana, *check_in("team-pipe", 3, TEAM_NOTE, 11))
    assert team_note.status_code == 200, team_note.text
    await reads.wait_until_current()

    # Encrypted at rest: no stored message holds a person's text.
    stored = b"\n".join(await stored_bodies(service.connection, service.stream_name))
    for secret in (*ANA_SECRETS, *BO_SECRETS, TEAM_NOTE, "Ana changed teams"):
        assert secret.encode() not in stored
    before = await views(http, tenant, admin)
    assert ANA_SECRETS[2] in before["check-ins"]
    assert ANA_SECRETS[0] in before["html"]
    verified = (await http.get(f"/tenants/{tenant}/audit/verify", headers=admin)).json()
    assert verified["findings"] == []

    erase = {"subject_id": "ana", "reason": "Art. 17 request 2026-117", "meta": meta(25)}
    refused = await send(http, tenant, ana, "erase_data_subject", erase)
    assert refused.status_code == 403
    erased = await send(http, tenant, admin, "erase_data_subject", erase)
    assert erased.status_code == 200
    assert erased.json()["duplicate"] is False
    await reads.wait_until_current()

    after = await views(http, tenant, admin)
    rows = await every_row(database_url, pg_schema)
    for secret in (*ANA_SECRETS, TEAM_NOTE, "Ana changed teams"):
        assert secret not in rows
        for name, text in after.items():
            assert secret not in text, name
    assert ERASED in after["ana"]
    assert ERASED in after["markdown"]
    assert ERASED in after["team"]
    for secret in BO_SECRETS:
        assert secret in rows
    assert BO_SECRETS[0] in after["json"]
    assert "Faster pipeline" in after["scores"]  # a team goal's title is nobody's
    assert _numbers(after["scores"]) == _numbers(before["scores"])
    # The chain still verifies over the same stored bytes; only the erasure was added.
    reverified = (await http.get(f"/tenants/{tenant}/audit/verify", headers=admin)).json()
    assert reverified["findings"] == []
    assert reverified["events_checked"] == verified["events_checked"] + 1

    again = await send(http, tenant, admin, "erase_data_subject", {**erase, "meta": meta(26)})
    assert again.status_code == 200
    assert again.json()["duplicate"] is True


def _numbers(scores_json: str) -> list[tuple[str, float, float | None]]:
    """Each goal's id, score and value: what erasure must not change."""
    import json

    return sorted((g["goal_id"], g["score"], g.get("value")) for g in json.loads(scores_json))
