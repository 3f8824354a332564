"""A tenant's scoring policy over the running service: set mid-cycle by an admin, the live
scores follow it, replays before and after the change show what the live models showed
then, and another tenant's scores never move."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from services.application.auth import Role, TokenAuthority
from services.bootstrap import ReadSide
from tests.integration.conftest import bearer

pytestmark = pytest.mark.integration
# 90 days, so that day 30 is a third of the way: 2026-10-01 .. 2026-12-29.
CYCLE = {"id": "c90", "starts_on": "2026-10-01", "ends_on": "2026-12-29"}
DAY_30 = "2026-10-31T00:00:00Z"
POLICY = {"cap_key_result_at_one": False, "keep_comparison": "strict", "at_risk_ratio": 1.0}


def meta(now: str) -> dict[str, str]:
    return {"now": now, "actor": "ignored"}


def metric(direction: str, baseline: float, target: float) -> dict[str, Any]:
    return {"kind": "numeric", "direction": direction, "unit": "u", "baseline": baseline,
            "target": target}  # fmt: skip


async def send(
    http: httpx.AsyncClient, auth: dict[str, str], tenant: str, command: str, **body: Any
) -> httpx.Response:
    body.setdefault("meta", meta("2026-10-02T09:00:00Z"))
    return await http.post(f"/tenants/{tenant}/commands/{command}", json=body, headers=auth)


async def quarter(http: httpx.AsyncClient, authority: TokenAuthority, tenant: str) -> None:
    """o1: a decrease KR at 50 from 100 to 60 and a keep-below-25 KR at exactly 25;
    o2: 0.30 of the way; empty: no key results."""
    auth = bearer(authority, tenant, Role.MEMBER)
    for goal_id in ("o1", "o2", "empty"):
        created = await send(
            http, auth, tenant, "create_objective", objective_id=goal_id, title="Run lean",
            level="company", owner="ceo", cycle=CYCLE,
        )  # fmt: skip
        assert created.status_code == 200, created.text
    krs = [
        ("o1", "cost", metric("decrease", 100, 60), 50.0),
        ("o1", "latency", metric("keep_below", 40, 25), 25.0),
        ("o2", "done", metric("increase", 0, 1), 0.30),
    ]
    for objective_id, kr_id, kr_metric, value in krs:
        terms = {"title": kr_id, "weight": 1, "metric": kr_metric}
        added = await send(
            http, auth, tenant, "add_key_result", objective_id=objective_id,
            key_result_id=kr_id, terms=terms,
        )  # fmt: skip
        assert added.status_code == 200, added.text
        checked = await send(
            http, auth, tenant, "record_check_in", goal_type="objective", goal_id=objective_id,
            key_result_id=kr_id, value=value, confidence=0.7, meta=meta("2026-10-10T09:00:00Z"),
        )  # fmt: skip
        assert checked.status_code == 200, checked.text


async def scores(http: httpx.AsyncClient, auth: dict[str, str], tenant: str) -> dict[str, Any]:
    """What the score route shows at day 30: o1's KR scores, o1's score, o2's pace, empty."""
    found = {}
    for goal_id in ("o1", "o2", "empty"):
        reply = await http.get(
            f"/tenants/{tenant}/goals/objective/{goal_id}/score",
            params={"as_of": DAY_30},
            headers=auth,
        )
        assert reply.status_code == 200, reply.text
        found[goal_id] = reply.json()
    o1, o2, empty = found["o1"], found["o2"], found["empty"]
    return {
        "cost": o1["key_results"][0]["score"],
        "latency": o1["key_results"][1]["score"],
        "o1": o1["score"],
        "o1_meets": o1["meets_expectation"],
        "o2_pace": o2["pace"],
        "empty": (empty["score"], empty["band"], empty["pace"], empty["meets_expectation"]),
    }


DEFAULTS = {"cost": 1.0, "latency": 1.0, "o1": 1.0, "o1_meets": True, "o2_pace": "on_track",
            "empty": (None, None, None, None)}  # fmt: skip
UNDER_POLICY = {"cost": 1.25, "latency": 0.0, "o1": 0.5, "o1_meets": False,
                "o2_pace": "at_risk", "empty": (None, None, None, None)}  # fmt: skip


async def report(
    http: httpx.AsyncClient, auth: dict[str, str], tenant: str, as_of: datetime
) -> dict[str, Any]:
    reply = await http.get(
        f"/tenants/{tenant}/audit/cycles/c90/report",
        params={"as_of": as_of.isoformat(), "known_at": as_of.isoformat(), "format": "json"},
        headers=auth,
    )
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def goal_scores(audit: dict[str, Any]) -> dict[str, float | None]:
    return {g["goal_id"]: g["final_score"] for g in audit["goals"]}


async def test_a_policy_set_mid_cycle_rescores_live_and_replays_score_as_it_stood(
    http: httpx.AsyncClient, reads: ReadSide, authority: TokenAuthority, tenant: str
) -> None:
    other = f"{tenant}-b"
    for who in (tenant, other):
        await quarter(http, authority, who)
    await reads.wait_until_current()
    member, admin = bearer(authority, tenant, Role.MEMBER), bearer(authority, tenant, Role.ADMIN)
    before_live = await scores(http, member, tenant)
    before = datetime.now(UTC)

    changed = await send(
        http, admin, tenant, "set_scoring_policy", policy=POLICY, reason="stretch targets",
        meta=meta("2026-10-20T09:00:00Z"),
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    await reads.wait_until_current()
    after = datetime.now(UTC)

    assert before_live == DEFAULTS
    assert await scores(http, member, tenant) == UNDER_POLICY
    assert await scores(http, bearer(authority, other, Role.MEMBER), other) == DEFAULTS
    in_force = await http.get(f"/tenants/{tenant}/scoring-policy", headers=member)
    earlier = await http.get(
        f"/tenants/{tenant}/scoring-policy",
        params={"as_of": "2026-10-15T00:00:00Z"},
        headers=member,
    )
    assert in_force.json()["source"] == "tenant"
    assert in_force.json()["set_by"] == "tester"
    assert in_force.json()["policy"]["keep_comparison"] == "strict"
    assert in_force.json()["policy"]["off_track_ratio"] == 0.6  # unnamed: kept
    assert earlier.json()["source"] == "deployment_default"
    assert earlier.json()["policy"]["keep_comparison"] == "inclusive"

    auditor = bearer(authority, tenant, Role.AUDITOR)
    then = await report(http, auditor, tenant, before)
    now = await report(http, auditor, tenant, after)
    assert goal_scores(then) == {"o1": DEFAULTS["o1"], "o2": 0.3, "empty": None}
    assert goal_scores(now) == {"o1": UNDER_POLICY["o1"], "o2": 0.3, "empty": None}
    assert then["policy_changes"] == []
    [change] = now["policy_changes"]
    assert (change["actor"], change["reason"]) == ("tester", "stretch targets")
    assert change["effective_at"].startswith("2026-10-20T09:00:00")
    assert {c["setting"]: (c["before"], c["after"]) for c in change["changes"]} == {
        "cap_key_result_at_one": (True, False),
        "keep_comparison": ("inclusive", "strict"),
        "at_risk_ratio": (0.9, 1.0),
    }
    o1 = next(g for g in change["goals"] if g["goal_id"] == "o1")
    assert (o1["score_before"], o1["score_after"]) == (1.0, 0.5)
    markdown = await http.get(
        f"/tenants/{tenant}/audit/cycles/c90/report",
        params={"as_of": after.isoformat(), "known_at": after.isoformat(), "format": "markdown"},
        headers=auditor,
    )
    assert "keep_comparison: inclusive → strict" in markdown.text


async def test_only_an_admin_sets_the_policy_and_each_bad_setting_is_named(
    http: httpx.AsyncClient, reads: ReadSide, authority: TokenAuthority, tenant: str
) -> None:
    member, admin = bearer(authority, tenant, Role.MEMBER), bearer(authority, tenant, Role.ADMIN)

    refused = await send(http, member, tenant, "set_scoring_policy", policy=POLICY)
    bad = {
        "keep_comparison": {"keep_comparison": "loose"},
        "off_track_ratio": {"at_risk_ratio": 0.5},
        "at_risk_ratio": {"at_risk_ratio": 11.0},
        "nonsense": {"nonsense": True},
    }
    answers = {
        setting: await send(http, admin, tenant, "set_scoring_policy", policy=policy)
        for setting, policy in bad.items()
    }
    await reads.wait_until_current()
    in_force = await http.get(f"/tenants/{tenant}/scoring-policy", headers=member)

    assert refused.status_code == 403
    assert "may not set_scoring_policy" in refused.json()["error"]["message"]
    for setting, answer in answers.items():
        assert answer.status_code in (400, 422), (setting, answer.text)
        criteria = [v["criterion"] for v in answer.json()["error"]["violations"]]
        assert criteria, (setting, answer.text)
        assert all(c == f"policy.{setting}" for c in criteria), (setting, criteria)
    assert in_force.json()["source"] == "deployment_default"
