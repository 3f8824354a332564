"""Example subscriber: print a line when a key result turns off track.

It reads only the documented JSON contract (docs/events.md) with nats-py; nothing of this
repository's code. Run it next to a running service:

    python -m examples.kr_off_track --nats-url nats://localhost:4222 --tenant acme

The rule (the service's own pace rule, docs/scoring.md, with its default ratio 0.6):

* progress = (value - baseline) / (target - baseline), clamped to 0..1, for ``increase`` and
  ``decrease`` metrics; for ``keep_above``, ``keep_below`` and ``range`` it is 1 while the
  value keeps the target, else 0;
* expected = the share of the objective's cycle elapsed at the value's instant
  (``applies_at`` of a check-in, ``observed_at`` of an integration report), times 1.0 for a
  committed objective or 0.7 for an aspirational one;
* a KR is **off track** when progress < 0.6 * expected, or when a check-in's confidence is
  below 0.5. A line is printed when a KR turns off track, not again until it recovers.

The consumer is an ordered push consumer (no server-side state, replays from the start);
it dedupes by ``event_id`` and skips anything older than what it has seen of the goal
(``aggregate_version``), ignores event types and fields it does not know, and reads a
v1 ``check_in.recorded`` (no ``applies_at``) as holding at its ``occurred_at``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import api

OFF_TRACK_RATIO = 0.6
LOW_CONFIDENCE = 0.5
ASPIRATIONAL_EXPECTATION = 0.7
# The event types this subscriber needs; everything else on the stream is not delivered.
WATCHED = (
    "objective.created",
    "key_result.added",
    "key_result.adjusted",
    "check_in.recorded",
    "progress.reported",
)


def filter_subjects(subject_root: str, tenant: str) -> list[str]:
    """The consumer's filters: the watched event types of the tenant's objectives."""
    return [f"{subject_root}.{tenant}.objective.*.{event_type}" for event_type in WATCHED]


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _day_start(text: str) -> datetime:
    return datetime.combine(date.fromisoformat(text), time.min, tzinfo=UTC)


@dataclass
class Objective:
    """What the rule needs of an objective: its cycle and how much counts as success."""

    starts_at: datetime
    ends_at: datetime  # exclusive: the first instant after the cycle's last day
    expectation: float

    def expected(self, at: datetime) -> float:
        """Share of the cycle elapsed at ``at`` (0..1), times the expectation."""
        span = (self.ends_at - self.starts_at).total_seconds()
        elapsed = (at - self.starts_at).total_seconds()
        share = 1.0 if span <= 0 else min(max(elapsed / span, 0.0), 1.0)
        return share * self.expectation


def progress(metric: dict[str, Any], value: float) -> float:
    """The fraction of the way from baseline to target (0..1), by the metric's direction."""
    direction = metric.get("direction", "increase")
    baseline, target = float(metric.get("baseline", 0.0)), float(metric["target"])
    if direction == "keep_above":
        return 1.0 if value >= target else 0.0
    if direction == "keep_below":
        return 1.0 if value <= target else 0.0
    if direction == "range":
        return 1.0 if target <= value <= float(metric["target_max"]) else 0.0
    if target == baseline:
        return 1.0
    return min(max((value - baseline) / (target - baseline), 0.0), 1.0)


@dataclass
class OffTrackWatcher:
    """Folds events into per-KR state and says when a KR turns off track (no I/O)."""

    objectives: dict[str, Objective] = field(default_factory=dict)
    metrics: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    off_track: set[tuple[str, str]] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)
    versions: dict[str, int] = field(default_factory=dict)

    def apply(self, envelope: dict[str, Any]) -> str | None:
        """Take one envelope; return a notification line when a KR has just turned off track."""
        event_id, goal = envelope["event_id"], envelope["aggregate_id"]
        version = int(envelope["aggregate_version"])
        # At-least-once delivery: the same event may come twice; events of one goal come in
        # aggregate_version order, so anything not newer than what was seen is a repeat.
        if event_id in self.seen or version <= self.versions.get(goal, 0):
            return None
        self.seen.add(event_id)
        self.versions[goal] = version
        payload: dict[str, Any] = envelope["payload"]
        event_type = envelope["event_type"]
        if event_type == "objective.created":
            cycle = payload["cycle"]
            aspirational = payload.get("commitment") == "aspirational"
            self.objectives[goal] = Objective(
                starts_at=_day_start(cycle["starts_on"]),
                ends_at=_day_start(cycle["ends_on"]) + timedelta(days=1),
                expectation=ASPIRATIONAL_EXPECTATION if aspirational else 1.0,
            )
        elif event_type == "key_result.added":
            self.metrics[(goal, payload["key_result_id"])] = payload["terms"]["metric"]
        elif event_type == "key_result.adjusted":
            self.metrics[(goal, payload["key_result_id"])] = payload["after"]["metric"]
        elif event_type == "check_in.recorded":
            # v1 had no applies_at: the value held when the check-in occurred.
            at = payload.get("applies_at") or envelope["occurred_at"]
            return self._value(goal, payload, at, float(payload["confidence"]))
        elif event_type == "progress.reported":
            return self._value(goal, payload, payload["observed_at"], None)
        return None  # an event type this subscriber does not know: ignored

    def _value(
        self, goal: str, payload: dict[str, Any], at: str, confidence: float | None
    ) -> str | None:
        kr = payload.get("key_result_id")
        objective, metric = self.objectives.get(goal), self.metrics.get((goal, kr or ""))
        if kr is None or objective is None or metric is None:
            return None
        value = float(payload["value"])
        done, expected = progress(metric, value), objective.expected(_instant(at))
        reasons = []
        if done < OFF_TRACK_RATIO * expected:
            reasons.append(f"progress {done:.0%} < {OFF_TRACK_RATIO} x expected {expected:.0%}")
        if confidence is not None and confidence < LOW_CONFIDENCE:
            reasons.append(f"confidence {confidence:.2f} < {LOW_CONFIDENCE}")
        key = (goal, kr)
        if not reasons:
            self.off_track.discard(key)
            return None
        if key in self.off_track:
            return None  # still off track: said already
        self.off_track.add(key)
        return f"OFF TRACK {goal}/{kr}: value {value:g} at {at}; " + "; ".join(reasons)


async def watch(
    nc: Client,
    tenant: str,
    *,
    stream: str = "OKR_EVENTS",
    subject_root: str = "okr",
    notify: Callable[[str], None] = print,
    max_notifications: int | None = None,
    timeout_s: float | None = None,
) -> list[str]:
    """Follow the tenant's events from the start; return after N notifications or the timeout."""
    watcher = OffTrackWatcher()
    lines: list[str] = []
    enough = asyncio.Event()

    async def on_message(msg: Msg) -> None:
        try:
            envelope = json.loads(msg.data)
        except ValueError:
            return  # not an event of the documented contract: skipped
        line = watcher.apply(envelope)
        if line is not None:
            lines.append(line)
            notify(line)
            if max_notifications is not None and len(lines) >= max_notifications:
                enough.set()

    # An ordered consumer: ephemeral, flow-controlled, redelivered in order on a gap. A
    # long-lived deployment would use a durable consumer and persist the watcher's state.
    config = api.ConsumerConfig(filter_subjects=filter_subjects(subject_root, tenant))
    sub = await nc.jetstream().subscribe(
        filter_subjects(subject_root, tenant)[0],
        stream=stream,
        cb=on_message,
        ordered_consumer=True,
        config=config,
    )
    try:
        await asyncio.wait_for(enough.wait(), timeout_s)
    except TimeoutError:
        pass
    finally:
        await sub.unsubscribe()
    return lines


async def _main(args: argparse.Namespace) -> None:
    nc = await nats.connect(args.nats_url, inbox_prefix=args.inbox_prefix)
    print(f"watching tenant {args.tenant!r} on stream {args.stream} (Ctrl-C stops)", flush=True)
    try:
        await watch(nc, args.tenant, stream=args.stream, subject_root=args.subject_root)
    finally:
        await nc.close()


def main() -> None:
    """Command line: follow one tenant until Ctrl-C."""
    parser = argparse.ArgumentParser(description="Print a line when a key result turns off track.")
    parser.add_argument("--nats-url", default="nats://localhost:4222")
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--stream", default="OKR_EVENTS")
    parser.add_argument("--subject-root", default="okr")
    parser.add_argument(
        "--inbox-prefix",
        default="_INBOX",
        help="the user's own inbox prefix where NATS permissions require one "
        "(e.g. _INBOX.subscriber with deploy/nats/nats.conf)",
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
