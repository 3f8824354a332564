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
from services.client import OkrClient
from services.replies import Accepted, Rejected
from services.store.event_store import EventStore

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


class Demo:
    """Sends the demo's commands; every command id is derived, so a re-run is idempotent."""

    def __init__(self, client: OkrClient, cycle: Cycle, say: Say) -> None:
        self.client = client
        self.cycle = cycle
        self.say = say

    def gid(self, name: str) -> str:
        """A goal id unique to this cycle."""
        return f"{name}-{self.cycle.id}"

    async def send(self, label: str, command: str, **fields: Any) -> Accepted | Rejected:
        """Send one command and print what came back."""
        meta = {"command_id": str(uuid5(NAMESPACE_URL, f"demo/{self.cycle.id}/{label}"))}
        reply = await self.client.send(command, meta={**meta, **fields.pop("meta", {})}, **fields)
        if isinstance(reply, Accepted):
            note = " (already applied)" if reply.duplicate else ""
            flags = f" flags={list(reply.flags)}" if reply.flags else ""
            self.say(f"  ok   {label:<44} v{reply.version}{note}{flags}")
        else:
            self.say(f"  no   {label:<44} {reply.error.code}: {reply.error.message}")
            for v in reply.error.violations:
                self.say(f"         - {v.criterion}: {v.code}: {v.message}")
        return reply


async def run_demo(nc: Client, store: EventStore, now: datetime, say: Say = print) -> int:
    """Create a company → team → individual cascade with check-ins; return events stored."""
    cycle = _quarter_of(now)
    demo = Demo(OkrClient(nc, TENANT, "demo-user", store.subjects), cycle, say)
    company, team, smart = (
        demo.gid("company-growth"),
        demo.gid("team-onboarding"),
        demo.gid("guides-ana"),
    )
    objective = {"goal_type": "objective"}
    say(f"Tenant {TENANT!r}, cycle {cycle.id} ({cycle.starts_on} .. {cycle.ends_on})")
    await demo.send(
        "company objective",
        "create_objective",
        objective_id=company,
        title="Become the default tool for goal-setting teams",
        level="company",
        owner="ceo",
        cycle=cycle.model_dump(mode="json"),
        commitment="aspirational",
    )
    for kr_id, terms in {
        "arr": _kr("Grow ARR", "currency", 1_000_000, 1_500_000, unit="EUR", weight=2.0),
        "nps": _kr("Raise NPS", "numeric", 30, 50),
        "churn": _kr("Cut monthly churn", "percentage", 5, 3, direction="decrease"),
    }.items():
        await demo.send(
            f"company KR {kr_id}",
            "add_key_result",
            objective_id=company,
            key_result_id=kr_id,
            terms=terms,
        )
    await demo.send("activate company objective", "activate_objective", objective_id=company)
    await demo.send(
        "team objective",
        "create_objective",
        objective_id=team,
        title="Make onboarding self-serve",
        level="team",
        owner="team-growth",
        cycle=cycle.model_dump(mode="json"),
    )
    await demo.send(
        "team KR activation",
        "add_key_result",
        objective_id=team,
        key_result_id="activation",
        terms=_kr("Activated trials", "percentage", 20, 40),
    )
    await demo.send("activate team objective (1 KR)", "activate_objective", objective_id=team)
    await demo.send(
        "align team objective to company KR arr",
        "align_goal",
        **objective,
        goal_id=team,
        parent={"kind": "key_result", "objective_id": company, "key_result_id": "arr"},
    )
    await demo.send(
        "vague SMART goal",
        "create_smart_goal",
        goal_id=demo.gid("vague"),
        statement="do better",
        owner="ana",
        cycle=cycle.model_dump(mode="json"),
    )
    await demo.send(
        "SMART goal serving team KR",
        "create_smart_goal",
        goal_id=smart,
        statement="Publish three onboarding guides for trial users",
        owner="ana",
        cycle=cycle.model_dump(mode="json"),
        metric={"kind": "numeric", "baseline": 0, "target": 3, "unit": "guides"},
        deadline=str(cycle.ends_on - timedelta(days=7)),
        achievability="two drafts exist",
        initial_confidence=0.8,
        serves=[{"kind": "key_result", "objective_id": team, "key_result_id": "activation"}],
    )
    await demo.send(
        "check-in company KR arr",
        "record_check_in",
        **objective,
        goal_id=company,
        key_result_id="arr",
        value=1_200_000,
        confidence=0.7,
        note="two big deals",
    )
    await demo.send(
        "check-in team KR activation",
        "record_check_in",
        **objective,
        goal_id=team,
        key_result_id="activation",
        value=28,
        confidence=0.6,
    )
    await demo.send(
        "check-in SMART goal",
        "record_check_in",
        goal_type="smart_goal",
        goal_id=smart,
        value=1,
        confidence=0.8,
        note="first guide live",
    )
    await demo.send(
        "integration progress (jira)",
        "report_progress",
        **objective,
        goal_id=team,
        key_result_id="activation",
        source="jira",
        idempotency_key="JIRA-4711",
        value=31,
        observed_at=now.isoformat(),
        meta={"actor": "integration:jira"},
    )
    await demo.send(
        "same report again",
        "report_progress",
        **objective,
        goal_id=team,
        key_result_id="activation",
        source="jira",
        idempotency_key="JIRA-4711",
        value=31,
        observed_at=now.isoformat(),
        meta={"actor": "integration:jira"},
    )
    await demo.send(
        "check-in on an unknown KR",
        "record_check_in",
        **objective,
        goal_id=company,
        key_result_id="nope",
        value=1,
        confidence=0.5,
    )
    await demo.send(
        "check-in company KR nps",
        "record_check_in",
        **objective,
        goal_id=company,
        key_result_id="nps",
        value=40,
        confidence=0.5,
    )
    await demo.send(
        "mid-quarter adjustment, no reason",
        "adjust_key_result",
        objective_id=company,
        key_result_id="nps",
        metric={"kind": "numeric", "baseline": 30, "target": 45},
    )
    await demo.send(
        "mid-quarter adjustment with reason",
        "adjust_key_result",
        objective_id=company,
        key_result_id="nps",
        metric={"kind": "numeric", "baseline": 30, "target": 45},
        reason="survey vendor changed; 50 is no longer comparable",
    )
    events = await store.load_tenant(TENANT)
    say(f"\nThe stream now holds {len(events)} events for tenant {TENANT!r}:")
    for stored in events[-12:]:
        e = stored.envelope
        say(f"  #{stored.stream_sequence:<5} {stored.subject}  (v{e.aggregate_version}, {e.actor})")
    return len(events)


def _get(base_url: str, path: str) -> Any:
    with urllib.request.urlopen(f"{base_url}{path}", timeout=10) as response:
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


def show_read_models(base_url: str, now: datetime, say: Say = print) -> None:
    """Print scores, the cascade and the KR-adjustment audit, read through the HTTP API."""
    cycle = _quarter_of(now)
    company = f"company-growth-{cycle.id}"
    say(f"\nRead models through the query API ({base_url}/docs):")
    score = _get(base_url, f"/tenants/{TENANT}/goals/objective/{company}/score")
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
    _tree(_get(base_url, f"/tenants/{TENANT}/cascade/objective/{company}"), say)
    say(f"GET /tenants/{TENANT}/audit/key-result-adjustments?cycle_id={cycle.id}")
    for entry in _get(
        base_url, f"/tenants/{TENANT}/audit/key-result-adjustments?cycle_id={cycle.id}"
    ):
        say(
            f"  {entry['objective_id']}/{entry['key_result_id']} by {entry['actor']} at "
            f"{entry['occurred_at']}: {', '.join(entry['changed_fields'])} "
            f"({entry['before']['metric']['target']:g} -> {entry['after']['metric']['target']:g})"
            f", mid-cycle={entry['mid_cycle']}, why: {entry['reason']!r}"
        )
        original, revised = entry["score_under_original"], entry["score_under_revised"]
        say(f"    score under original target {original:.2f}, under revised {revised:.2f}")
