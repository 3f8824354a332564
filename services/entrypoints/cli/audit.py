"""``okr audit``: replay a cycle as of an instant, verify the log, check the read models."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

import nats
from nats.aio.client import Client
from nats.errors import Error as NatsError

from events.subjects import Subjects
from projections.audit.build import UnknownCycle
from projections.audit.render import to_html, to_markdown
from projections.consumer import EventLog
from services.adapters.servers import resolve_servers
from services.adapters.telemetry.progress import Progress
from services.application.auditor import Auditor
from services.domain.bounds import zoned_instant_in_window
from services.settings import Settings


def _instant(text: str) -> datetime:
    try:
        return zoned_instant_in_window(datetime.fromisoformat(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


def add_audit_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``okr audit report|verify|check``."""
    audit = commands.add_parser("audit", help="auditors: replay, report, verify, check")
    steps = audit.add_subparsers(dest="audit_command", required=True)
    report = steps.add_parser("report", help="a cycle's report as of an instant")
    report.add_argument("--tenant", required=True)
    report.add_argument("--cycle", required=True, help="e.g. 2026-q4")
    report.add_argument("--as-of", type=_instant, help="ISO 8601 with zone; default now")
    report.add_argument(
        "--basis",
        choices=("recorded", "occurred"),
        default="recorded",
        help="recorded: what the system had been told by then (default); "
        "occurred: what had happened by then",
    )
    report.add_argument("--format", choices=("markdown", "html", "json"), default="markdown")
    report.add_argument("--out", type=Path, help="write here instead of standard output")
    verify = steps.add_parser("verify", help="walk the hash chains of the log")
    verify.add_argument("--tenant", help="one tenant (default: every event)")
    check = steps.add_parser("check", help="replay to now and compare with the live models")
    check.add_argument("--tenant", required=True)


async def _events_matching(nc: Client, stream: str, subject_filter: str) -> int | None:
    """How many stored messages match ``subject_filter`` (None if the server won't say)."""
    try:
        info = await nc.jetstream().stream_info(stream, subjects_filter=subject_filter)
    except NatsError:
        return None
    return sum((info.state.subjects or {}).values()) or None


async def run_audit(args: argparse.Namespace, settings: Settings) -> int:
    """Run one ``okr audit`` step; the exit code says whether all was well."""
    async with resolve_servers(settings) as (nats_url, database_url):
        nc = await nats.connect(nats_url)
        try:
            event_log = EventLog(nc, settings.stream_name, Subjects(settings.subject_root))
            auditor = Auditor(event_log, database_url, settings.db_schema)
            subjects = event_log.subjects
            scanned = subjects.tenant(args.tenant) if args.tenant else subjects.all_events()
            total = await _events_matching(nc, settings.stream_name, scanned)
            if args.audit_command == "verify":
                with Progress("verified events", total) as shown:
                    found = await auditor.verify(args.tenant, shown.update)
                print(found.model_dump_json(indent=2))
                return 0 if found.ok else 1
            if args.audit_command == "check":
                differences = await auditor.check_consistency(args.tenant)
                for difference in differences:
                    print(difference)
                print(f"{len(differences)} differences between the live models and a replay")
                return 0 if not differences else 1
            as_of = args.as_of or datetime.now(UTC)
            try:
                with Progress("replayed events", total) as shown:
                    report = await auditor.report(
                        args.tenant,
                        args.cycle,
                        as_of,
                        args.basis,
                        lambda read, _selected: shown.update(read),
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
