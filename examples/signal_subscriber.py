"""Print a tenant's check-in reminders, stale goals and hygiene findings as they arrive.

Uses only the documented contract (docs/signals.md): the subjects
``signal.<root>.<tenant>.<goal_type>.<goal_id>.<signal_type>`` on the stream OKR_SIGNALS and
their JSON bodies; nothing of this repository is imported. Run it beside ``make run``:

    python examples/signal_subscriber.py --tenant demo \
        --nats-url nats://USER:PASSWORD@127.0.0.1:PORT
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg


def describe(signal: dict[str, Any]) -> str | None:
    """One line for a signal a person reads; None for a type this script does not know."""
    goal = f"{signal['goal_type']} {signal['goal_id']} ({signal['owner']})"
    kind = signal.get("signal_type")
    if kind == "check_in.due":
        return f"check-in due {signal['due_at']}: {goal}"
    if kind == "check_in.overdue":
        return f"check-in overdue since {signal['due_at']}: {goal}"
    if kind == "goal.stale":
        return f"stale after {signal['missed']} missed check-ins: {goal}"
    if kind == "goal.hygiene_flagged":
        codes = ", ".join(f["code"] for f in signal["flags"])
        return f"hygiene: {goal}: {codes}"
    return None  # a newer signal type: ignored, as the contract asks


async def follow(
    nc: Client,
    tenant: str,
    stream: str = "OKR_SIGNALS",
    subject_root: str = "okr",
    notify: Callable[[str], None] = print,
    max_lines: int | None = None,
    timeout_s: float | None = None,
) -> list[str]:
    """Print the tenant's signals from the stream's start; returns the lines printed."""
    lines: list[str] = []
    enough = asyncio.Event()

    async def on_message(msg: Msg) -> None:
        try:
            line = describe(json.loads(msg.data))
        except (ValueError, KeyError, TypeError):
            return  # not a signal of the documented contract: skipped
        if line is not None:
            lines.append(line)
            notify(line)
            if max_lines is not None and len(lines) >= max_lines:
                enough.set()

    sub = await nc.jetstream().subscribe(
        f"signal.{subject_root}.{tenant}.>", stream=stream, cb=on_message, ordered_consumer=True
    )
    try:
        await asyncio.wait_for(enough.wait(), timeout_s)
    except TimeoutError:
        pass
    finally:
        await sub.unsubscribe()
    return lines


async def _main(args: argparse.Namespace) -> None:
    nc = await nats.connect(args.nats_url)
    try:
        await follow(nc, args.tenant, stream=args.stream, subject_root=args.subject_root)
    finally:
        await nc.close()


def main() -> None:
    """Command line: follow one tenant until Ctrl-C."""
    parser = argparse.ArgumentParser(description="Print check-in reminders and hygiene flags.")
    parser.add_argument("--nats-url", default="nats://localhost:4222")
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--stream", default="OKR_SIGNALS")
    parser.add_argument("--subject-root", default="okr")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
