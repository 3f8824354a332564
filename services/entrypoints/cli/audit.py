"""``okr audit``: replay a cycle as of an instant and as known at another, verify the log,
check the read models."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

import nats
from nats.aio.client import Client
from nats.errors import Error as NatsError

from events.subjects import Subjects
from projections.audit.axes import TimeAxes
from projections.audit.build import UnknownCycle
from projections.audit.check import ConsistencyCheck
from projections.audit.render import to_html, to_markdown
from projections.consumer import EventLog
from services.adapters.clock import now_utc
from services.adapters.seal_key import seal_keys
from services.adapters.seal_store import SealStore
from services.adapters.servers import resolve_servers
from services.adapters.subject_keys import SubjectKeys
from services.adapters.telemetry.progress import Progress
from services.application.auditor import Auditor
from services.application.sealing.service import Sealing
from services.domain.bounds import zoned_instant_in_window
from services.entrypoints.cli.seals import add_seal_commands, run_sealing, verify_with_seals
from services.settings import Settings

_AS_OF = "valid time: the facts that applied by then (ISO 8601 with zone); default now"
_KNOWN_AT = "transaction time: as the service had recorded them by then; default now"
_BASIS = (
    "older single-axis alias of --known-at: 'recorded' = known at the --as-of instant, "
    "'occurred' = known now"
)


def _instant(text: str) -> datetime:
    try:
        return zoned_instant_in_window(datetime.fromisoformat(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


def _axes_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-of", type=_instant, help=_AS_OF)
    parser.add_argument("--known-at", type=_instant, help=_KNOWN_AT)


def add_audit_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``okr audit report|verify|check`` and the seal steps."""
    audit = commands.add_parser("audit", help="auditors: replay, report, verify, check, seal")
    steps = audit.add_subparsers(dest="audit_command", required=True)
    report = steps.add_parser("report", help="a cycle as of an instant, as known at another")
    report.add_argument("--tenant", required=True)
    report.add_argument("--cycle", required=True, help="e.g. 2026-q4")
    _axes_options(report)
    report.add_argument("--basis", choices=("recorded", "occurred"), help=_BASIS)
    report.add_argument("--format", choices=("markdown", "html", "json"), default="markdown")
    report.add_argument("--out", type=Path, help="write here instead of standard output")
    verify = steps.add_parser(
        "verify", help="walk the hash chains of the log; with --tenant also its stored seals"
    )
    verify.add_argument("--tenant", help="one tenant (default: every event)")
    verify.add_argument(
        "--against", type=Path, help="a seal file you kept: the log must extend its tree"
    )
    check = steps.add_parser("check", help="compare the live models with a replay")
    check.add_argument("--tenant", required=True)
    _axes_options(check)
    check.add_argument("--format", choices=("table", "json"), default="table")
    add_seal_commands(steps)


async def _events_matching(nc: Client, stream: str, subject_filter: str) -> int | None:
    """How many stored messages match ``subject_filter`` (None if the server won't say)."""
    try:
        info = await nc.jetstream().stream_info(stream, subjects_filter=subject_filter)
    except NatsError:
        return None
    return sum((info.state.subjects or {}).values()) or None


def check_table(found: ConsistencyCheck) -> str:
    """The check's differences as a table keyed by goal and field, and a verdict."""
    head = ("goal", "field", "live", "replay")
    rows = [(d.goal, d.field, str(d.live), str(d.replay)) for d in found.differences]
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head))]
    lines = (
        [
            "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
            for r in (head, tuple("-" * w for w in widths), *rows)
        ]
        if rows
        else []
    )
    verdict = (
        f"{len(found.differences)} differences in {found.goals_compared} goals between the "
        f"live models and a replay as of {found.as_of.isoformat()}, known at "
        f"{found.known_at.isoformat()}"
    )
    return "\n".join([*lines, verdict])


async def run_audit(args: argparse.Namespace, settings: Settings) -> int:
    """Run one ``okr audit`` step; the exit code says whether all was well."""
    if args.audit_command == "verify" and args.against and not args.tenant:
        print("okr audit verify: --against needs --tenant", file=sys.stderr)
        return 2
    now = datetime.now(UTC)
    try:
        axes = TimeAxes.asked(
            now,
            getattr(args, "as_of", None),
            getattr(args, "known_at", None),
            getattr(args, "basis", None),
        )
    except ValueError as refused:
        print(f"okr audit {args.audit_command}: {refused}", file=sys.stderr)
        return 2
    async with resolve_servers(settings) as (nats_url, database_url):
        nc = await nats.connect(nats_url)
        try:
            subjects = Subjects(settings.subject_root)
            event_log = EventLog(nc, settings.stream_name, subjects)
            keys = await SubjectKeys.open(nc, settings.subject_keys, settings.stream_replicas)
            auditor = Auditor(
                event_log,
                database_url,
                settings.db_schema,
                settings.scoring_policy,
                keys=keys,
                replay_workers=settings.replay_workers,
                parallel_from=settings.replay_parallel_from,
            )
            store = SealStore(nc, settings.seals, subjects)
            await store.ensure_stream(settings.stream_replicas)
            sealing = Sealing(event_log, store, lambda: seal_keys(settings), now_utc)
            if args.audit_command in ("seal", "prove"):
                return await run_sealing(args, sealing)
            scanned = subjects.tenant(args.tenant) if args.tenant else subjects.all_events()
            total = await _events_matching(nc, settings.stream_name, scanned)
            if args.audit_command == "verify":
                with Progress("verified events", total) as shown:
                    found = await auditor.verify(args.tenant, shown.update)
                return await verify_with_seals(args, sealing, found)
            if args.audit_command == "check":
                checked = await auditor.check(args.tenant, axes)
                text = checked.model_dump_json(indent=2) if args.format == "json" else None
                print(text or check_table(checked))
                return 0 if checked.consistent else 1
            try:
                with Progress("replayed events", total) as shown:
                    report = await auditor.report(
                        args.tenant, args.cycle, axes, lambda read, _in_view: shown.update(read)
                    )
            except UnknownCycle as unknown:
                print(f"okr audit report: {unknown}", file=sys.stderr)
                return 1
            text = {
                "json": lambda: report.model_dump_json(indent=2),
                "markdown": lambda: to_markdown(report),
                "html": lambda: to_html(report),
            }[args.format]()
            if args.out:
                args.out.write_text(text)
                print(f"wrote {args.out}", file=sys.stderr)
            else:
                print(text)
            return 0
        finally:
            await nc.close()
