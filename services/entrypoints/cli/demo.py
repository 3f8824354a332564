"""A scripted quarter, sent as a user would send it: an OKR cascade with SMART goals."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from nats.aio.client import Client

from events.values import Cycle
from services.adapters.event_store import EventStore
from services.client import OkrClient
from services.domain.replies import Accepted
from services.entrypoints.cli.demo_quarter import Step, demo_goals, quarter_steps

Say = Callable[[str], None]
TENANT = "demo"


def quarter_of(now: datetime) -> Cycle:
    return Cycle.quarter(f"{now.year}-q{(now.month - 1) // 3 + 1}")


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
    cycle = quarter_of(now)
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


def get_json(base_url: str, path: str, token: str) -> Any:
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
    cycle = quarter_of(now)
    company = demo_goals(cycle).company
    say(f"\nRead models through the query API ({base_url}/docs):")
    score = get_json(base_url, f"/tenants/{TENANT}/goals/objective/{company}/score", token)
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
        if kr["forecast"] is not None:
            say(f"             forecast: {kr['forecast']['sentence']} at the cycle's end")
    say(f"GET /tenants/{TENANT}/cascade/objective/{company}")
    _tree(get_json(base_url, f"/tenants/{TENANT}/cascade/objective/{company}", token), say)
    say(f"GET /tenants/{TENANT}/audit/key-result-adjustments?cycle_id={cycle.id}")
    for entry in get_json(
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
