"""The demo's rhythm: the signals a scan stored for its goals, and the hygiene report."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from events.signals import SIGNALS_BY_TYPE
from services.application.cadence_scanner import CadenceScanner
from services.entrypoints.cli.demo import TENANT, Say, get_json, quarter_of
from services.entrypoints.cli.demo_quarter import demo_goals


def _instant(text: str) -> str:
    return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")


def describe(signal: dict[str, Any]) -> str:
    """What one signal says, in a line a person reads."""
    kind = signal["signal_type"]
    if kind == "goal.hygiene_flagged":
        return ", ".join(f["code"] for f in signal["flags"])
    due = _instant(signal["due_at"])
    if kind == "check_in.due":
        return f"check-in due {due} ({signal['missed']} missed in a row)"
    if kind == "check_in.overdue":
        return f"check-in of {due} overdue since {_instant(signal['fires_at'])}"
    return f"stale: {signal['missed']} check-ins missed, the last due {due}"


async def show_signals(scanner: CadenceScanner, now: datetime, say: Say = print) -> int:
    """Scan at ``now`` (as every instance does on its schedule), then print the latest
    signal of each type on each demo goal's subjects; returns how many were found."""
    stored = await scanner.scan(now)
    say(
        f"\nSignals on the signal stream for tenant {TENANT!r} (docs/signals.md; a scan at "
        f"{now.astimezone(UTC):%Y-%m-%d %H:%MZ} stored {len(stored)} new), the latest of "
        "each kind per goal:"
    )
    signals = scanner.signals
    found = 0
    for goal_type, goal_id in demo_goals(quarter_of(now)).refs():
        for signal_type in SIGNALS_BY_TYPE:
            subject = signals.subjects.signal(TENANT, goal_type, goal_id, signal_type)
            last = await signals.last(subject)
            if last.body is None:
                continue
            found += 1
            say(f"  {signal_type:<21} {goal_type} {goal_id}: {describe(json.loads(last.body))}")
    if not found:
        say("  none yet: the first check-ins fall due a week into the quarter")
    return found


def show_hygiene(base_url: str, now: datetime, token: str, say: Say = print) -> None:
    """Print the cycle's hygiene findings per owner, read through the HTTP API."""
    path = f"/tenants/{TENANT}/cycles/{quarter_of(now).id}/hygiene"
    report = get_json(base_url, path, token)
    say(f"GET {path} (docs/hygiene.md)")
    for owner in report["by_owner"]:
        say(f"  {owner['name']}: {owner['finding_count']} finding(s)")
        for goal in owner["goals"]:
            for finding in goal["findings"]:
                say(f"    {goal['goal_type']} {goal['goal_id']}: {finding['code']}")
    if not report["by_owner"]:
        say("  no findings")
