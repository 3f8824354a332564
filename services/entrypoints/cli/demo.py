"""A scripted quarter, sent as a user would send it: an OKR cascade with SMART goals."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from nats.aio.client import Client

from events.values import Cycle
from services.adapters.event_store import EventStore
from services.client import OkrClient
from services.domain.replies import Accepted

Say = Callable[[str], None]
TENANT = "demo"


def _quarter_of(now: datetime) -> Cycle:
    return Cycle.quarter(f"{now.year}-q{(now.month - 1) // 3 + 1}")


def _kr(title: str, kind: str, baseline: float, target: float, **metric: Any) -> dict[str, Any]:
    return {
        "title": title,
        "weight": metric.pop("weight", 1.0),
        "metric": {"kind": kind, "baseline": baseline, "target": target, **metric},
    }


Step = tuple[str, str, dict[str, Any]]  # label, command name, body (besides meta)


def quarter_steps(cycle: Cycle, now: datetime) -> list[Step]:
    """The demo's requests, in order; some are meant to be refused."""
    company, team, smart = (
        f"{name}-{cycle.id}" for name in ("company-growth", "team-onboarding", "guides-ana")
    )
    on_company = {"goal_type": "objective", "goal_id": company}
    on_team = {"goal_type": "objective", "goal_id": team}
    quarter = cycle.model_dump(mode="json")
    jira = {
        **on_team,
        "key_result_id": "activation",
        "source": "jira",
        "idempotency_key": "JIRA-4711",
        "value": 31,
        "observed_at": now.isoformat(),
        "meta": {"actor": "integration:jira"},
    }
    nps_target_45 = {
        "objective_id": company,
        "key_result_id": "nps",
        "metric": {"kind": "numeric", "baseline": 30, "target": 45},
    }
    return [
        (
            "company objective",
            "create_objective",
            {
                "objective_id": company,
                "title": "Become the default tool for goal-setting teams",
                "level": "company",
                "owner": "ceo",
                "cycle": quarter,
                "commitment": "aspirational",
            },
        ),
        (
            "company KR arr",
            "add_key_result",
            {
                "objective_id": company,
                "key_result_id": "arr",
                "terms": _kr("Grow ARR", "currency", 1_000_000, 1_500_000, unit="EUR", weight=2.0),
            },
        ),
        (
            "company KR nps",
            "add_key_result",
            {
                "objective_id": company,
                "key_result_id": "nps",
                "terms": _kr("Raise NPS", "numeric", 30, 50),
            },
        ),
        (
            "company KR churn",
            "add_key_result",
            {
                "objective_id": company,
                "key_result_id": "churn",
                "terms": _kr("Cut monthly churn", "percentage", 5, 3, direction="decrease"),
            },
        ),
        ("activate company objective", "activate_objective", {"objective_id": company}),
        (
            "team objective",
            "create_objective",
            {
                "objective_id": team,
                "title": "Make onboarding self-serve",
                "level": "team",
                "owner": "team-growth",
                "cycle": quarter,
            },
        ),
        (
            "team KR activation",
            "add_key_result",
            {
                "objective_id": team,
                "key_result_id": "activation",
                "terms": _kr("Activated trials", "percentage", 20, 40),
            },
        ),
        ("activate team objective (1 KR)", "activate_objective", {"objective_id": team}),
        (
            "align team objective to company KR arr",
            "align_goal",
            {
                **on_team,
                "parent": {"kind": "key_result", "objective_id": company, "key_result_id": "arr"},
            },
        ),
        (
            "vague SMART goal",
            "create_smart_goal",
            {
                "goal_id": f"vague-{cycle.id}",
                "statement": "do better",
                "owner": "ana",
                "cycle": quarter,
            },
        ),
        (
            "SMART goal serving team KR",
            "create_smart_goal",
            {
                "goal_id": smart,
                "statement": "Publish three onboarding guides for trial users",
                "owner": "ana",
                "cycle": quarter,
                "metric": {"kind": "numeric", "baseline": 0, "target": 3, "unit": "guides"},
                "deadline": str(cycle.ends_on - timedelta(days=7)),
                "achievability": "two drafts exist",
                "initial_confidence": 0.8,
                "serves": [
                    {"kind": "key_result", "objective_id": team, "key_result_id": "activation"}
                ],
            },
        ),
        (
            "check-in company KR arr",
            "record_check_in",
            {
                **on_company,
                "key_result_id": "arr",
                "value": 1_200_000,
                "confidence": 0.7,
                "note": "two big deals",
            },
        ),
        (
            "check-in company KR nps",
            "record_check_in",
            {**on_company, "key_result_id": "nps", "value": 40, "confidence": 0.5},
        ),
        (
            "check-in team KR activation",
            "record_check_in",
            {**on_team, "key_result_id": "activation", "value": 28, "confidence": 0.6},
        ),
        (
            "check-in SMART goal",
            "record_check_in",
            {
                "goal_type": "smart_goal",
                "goal_id": smart,
                "value": 1,
                "confidence": 0.8,
                "note": "first guide live",
            },
        ),
        ("integration progress (jira)", "report_progress", jira),
        ("same report again", "report_progress", jira),
        (
            "check-in on an unknown KR",
            "record_check_in",
            {**on_company, "key_result_id": "nope", "value": 1, "confidence": 0.5},
        ),
        ("mid-quarter adjustment, no reason", "adjust_key_result", nps_target_45),
        (
            "mid-quarter adjustment with reason",
            "adjust_key_result",
            {**nps_target_45, "reason": "survey vendor changed; 50 is no longer comparable"},
        ),
    ]


async def _send(client: OkrClient, cycle: Cycle, step: Step, say: Say) -> None:
    label, command, body = step
    # A command id derived from the step: a second run of the demo is answered "duplicate".
    meta = {
        "command_id": str(uuid5(NAMESPACE_URL, f"demo/{cycle.id}/{label}")),
        **body.get("meta", {}),
    }
    reply = await client.send(command, **{**body, "meta": meta})
    if isinstance(reply, Accepted):
        note = " (already applied)" if reply.duplicate else ""
        flags = f" flags={list(reply.flags)}" if reply.flags else ""
        say(f"  ok   {label:<44} v{reply.version}{note}{flags}")
        return
    say(f"  no   {label:<44} {reply.error.code}: {reply.error.message}")
    for v in reply.error.violations:
        say(f"         - {v.criterion}: {v.code}: {v.message}")


async def run_demo(nc: Client, store: EventStore, now: datetime, say: Say = print) -> int:
    """Create a company → team → individual cascade with check-ins; return events stored."""
    cycle = _quarter_of(now)
    client = OkrClient(nc, TENANT, "demo-user", store.subjects)
    say(f"Tenant {TENANT!r}, cycle {cycle.id} ({cycle.starts_on} .. {cycle.ends_on})")
    for step in quarter_steps(cycle, now):
        await _send(client, cycle, step, say)
    events = await store.load_tenant(TENANT)
    say(f"\nThe stream now holds {len(events)} events for tenant {TENANT!r}; the last ones:")
    for stored in events[-8:]:
        e = stored.envelope
        say(f"  #{stored.stream_sequence:<5} {stored.subject}  (v{e.aggregate_version}, {e.actor})")
    return len(events)


def _get(base_url: str, path: str, token: str) -> Any:
    request = urllib.request.Request(
        f"{base_url}{path}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _tree(node: dict[str, Any], say: Say, depth: int = 0) -> None:
    goal = node["goal"]
    via = f" (serves KR {node['aligned_to_key_result']})" if node["aligned_to_key_result"] else ""
    rolled = node["rolled_up_score"]
    say(
        f"  {'    ' * depth}{goal['level']:<10} {goal['goal_id']:<28} own {goal['score']:.2f}"
        f"  rolled-up {rolled if rolled is None else f'{rolled:.2f}'}  {goal['pace']}{via}"
    )
    for child in node["children"]:
        _tree(child, say, depth + 1)


def show_read_models(base_url: str, now: datetime, token: str, say: Say = print) -> None:
    """Print scores, the cascade and the KR-adjustment audit, read through the HTTP API
    with ``token`` (a reading role of the demo tenant)."""
    cycle = _quarter_of(now)
    company = f"company-growth-{cycle.id}"
    say(f"\nRead models through the query API ({base_url}/docs):")
    score = _get(base_url, f"/tenants/{TENANT}/goals/objective/{company}/score", token)
    say(f"GET /tenants/{TENANT}/goals/objective/{company}/score")
    say(
        f"  score {score['score']:.2f} (expects {score['expectation']}), band {score['band']}, "
        f"pace {score['pace']} at {score['expected_progress']:.0%} of the cycle"
    )
    for kr in score["key_results"]:
        value = "-" if kr["value"] is None else f"{kr['value']:g}"
        say(
            f"    KR {kr['key_result_id']:<8} value {value:<10} score {kr['score']:.2f} "
            f"({kr['band']})"
        )
    say(f"GET /tenants/{TENANT}/cascade/objective/{company}")
    _tree(_get(base_url, f"/tenants/{TENANT}/cascade/objective/{company}", token), say)
    say(f"GET /tenants/{TENANT}/audit/key-result-adjustments?cycle_id={cycle.id}")
    for entry in _get(
        base_url, f"/tenants/{TENANT}/audit/key-result-adjustments?cycle_id={cycle.id}", token
    ):
        say(
            f"  {entry['objective_id']}/{entry['key_result_id']} by {entry['actor']} at "
            f"{entry['occurred_at']}: {', '.join(entry['changed_fields'])} "
            f"({entry['before']['metric']['target']:g} -> {entry['after']['metric']['target']:g})"
            f", mid-cycle={entry['mid_cycle']}, why: {entry['reason']!r}"
        )
        original, revised = entry["score_under_original"], entry["score_under_revised"]
        say(f"    score under original target {original:.2f}, under revised {revised:.2f}")
