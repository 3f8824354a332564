"""``okr audit``: replay a cycle as of an instant, verify the log, check the read models."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

import nats

from events.subjects import Subjects
from projections.audit.build import UnknownCycle
from projections.audit.render import to_html, to_markdown
from projections.consumer import EventLog
from services.adapters.clock import now_utc
from services.adapters.seal_key import seal_keys
from services.adapters.seal_store import SealStore
from services.adapters.servers import resolve_servers
from services.application.auditor import Auditor
from services.application.sealing.service import Sealing
from services.domain.bounds import zoned_instant_in_window
from services.entrypoints.cli.seals import add_seal_commands, run_sealing, verify_with_seals
from services.settings import Settings


def _instant(text: str) -> datetime:
    try:
        return zoned_instant_in_window(datetime.fromisoformat(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


def add_audit_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``okr audit report|verify|check`` and the seal steps."""
    audit = commands.add_parser("audit", help="auditors: replay, report, verify, check, seal")
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
    verify = steps.add_parser(
        "verify", help="walk the hash chains of the log; with --tenant also its stored seals"
    )
    verify.add_argument("--tenant", help="one tenant (default: every event)")
    verify.add_argument(
        "--against", type=Path, help="a seal file you kept: the log must extend its tree"
    )
    check = steps.add_parser("check", help="replay to now and compare with the live models")
    check.add_argument("--tenant", required=True)
    add_seal_commands(steps)


def _progress(read: int, selected: int) -> None:
    print(
        f"\rreplayed {read:,} events ({selected:,} known at the instant)",
        end="",
        file=sys.stderr,
        flush=True,
    )


async def run_audit(args: argparse.Namespace, settings: Settings) -> int:
    """Run one ``okr audit`` step; the exit code says whether all was well."""
    if args.audit_command == "verify" and args.against and not args.tenant:
        print("okr audit verify: --against needs --tenant", file=sys.stderr)
        return 2
    async with resolve_servers(settings) as (nats_url, database_url):
        nc = await nats.connect(nats_url)
        try:
            subjects = Subjects(settings.subject_root)
            event_log = EventLog(nc, settings.stream_name, subjects)
            auditor = Auditor(event_log, database_url, settings.db_schema)
            store = SealStore(nc, settings.seals, subjects)
            await store.ensure_stream(settings.stream_replicas)
            sealing = Sealing(event_log, store, lambda: seal_keys(settings), now_utc)
            if args.audit_command == "verify":
                return await verify_with_seals(args, sealing, await auditor.verify(args.tenant))
            if args.audit_command in ("seal", "prove"):
                return await run_sealing(args, sealing)
            if args.audit_command == "check":
                differences = await auditor.check_consistency(args.tenant)
                for difference in differences:
                    print(difference)
                print(f"{len(differences)} differences between the live models and a replay")
                return 0 if not differences else 1
            as_of = args.as_of or datetime.now(UTC)
            try:
                report = await auditor.report(args.tenant, args.cycle, as_of, args.basis, _progress)
            except UnknownCycle as unknown:
                print(f"okr audit report: {unknown}", file=sys.stderr)
                return 1
            print(file=sys.stderr)
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
