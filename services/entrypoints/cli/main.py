"""``okr``: run the service (on embedded servers unless URLs are configured), or the demo."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import replace

import nats
from nats.js.errors import NotFoundError

from projections.partitions import PartitionMismatch
from projections.runner import rebuild
from services.adapters import database
from services.adapters.auth_secret import UnusableSecret
from services.adapters.clock import now_utc
from services.adapters.data_dir import RUNTIME_FILE, DataDirInUse
from services.adapters.nats_auth import redact
from services.adapters.seal_key import UnusableSealKey
from services.adapters.servers import announce_http, resolve_servers
from services.adapters.subject_keys import SubjectKeys
from services.adapters.telemetry.logs import configure_logging
from services.adapters.telemetry.progress import Progress
from services.adapters.telemetry.setup import telemetry_for
from services.application.auth import Role
from services.bootstrap import (
    command_service,
    project,
    projector_workers,
    read_side,
    token_authority,
)
from services.entrypoints.cli.audit import add_audit_commands, run_audit
from services.entrypoints.cli.demo import TENANT, run_demo, show_read_models
from services.entrypoints.cli.demo_signals import show_hygiene, show_signals
from services.entrypoints.cli.projections import add_projection_commands, run_projections
from services.entrypoints.cli.seals import OFFLINE, run_offline
from services.entrypoints.cli.tokens import add_token_commands, run_tokens
from services.settings import Settings

log = logging.getLogger("okr")


async def _wait_for_stop() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def serve(settings: Settings, demo: bool, keep_running: bool) -> int:
    """Start servers and the command service; optionally run the demo; serve until stopped."""
    async with (
        # A second service on the same embedded servers would answer the same commands.
        resolve_servers(settings, attach=False) as (nats_url, database_url),
        command_service(settings, nats_url) as service,
        read_side(settings, service.connection, database_url, service.keys) as reads,
        projector_workers(settings, nats_url, database_url) as workers,
    ):
        if workers:
            log.info("projector workers %s share the read models", ", ".join(workers))
        announce_http(settings, reads.http_url)
        log.info("NATS %s  PostgreSQL %s", redact(nats_url), database_url)
        if demo:
            await run_demo(service.connection, service.store, now_utc())
            await reads.wait_until_current()
            # The demo reads the API over HTTP, as a user would; the server runs on this loop.
            token = token_authority(settings).issue(TENANT, Role.AUDITOR, "demo", now_utc())
            await asyncio.to_thread(show_read_models, reads.http_url, now_utc(), token)
            if reads.scanner is not None:
                await show_signals(reads.scanner, now_utc())
            await asyncio.to_thread(show_hygiene, reads.http_url, now_utc(), token)
        if keep_running:
            print(
                f"\nHTTP API {reads.http_url}/docs (token: okr token --tenant {TENANT} "
                f"--role admin); commands on {service.subjects.command_wildcard('<command>')}, "
                f"progress on {service.subjects.ingest('<tenant>')} at {redact(nats_url)} "
                f"(URLs and credentials: {RUNTIME_FILE} in the data dir). Ctrl-C stops."
            )
            await _wait_for_stop()
    telemetry_for(settings).tracing.shutdown()  # the last spans still go out
    return 0


async def run_worker(settings: Settings, worker: str | None, parent: int | None) -> int:
    """``okr project``: one projector worker until SIGTERM (the servers of the settings, or
    those of the data dir's running service)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with resolve_servers(settings) as (nats_url, database_url):
        await project(settings, nats_url, database_url, worker, stop, parent)
    return 0


async def rebuild_read_models(settings: Settings) -> int:
    """Rebuild the read models from sequence 1 and swap them in (service stopped)."""
    async with resolve_servers(settings) as (nats_url, database_url):
        nc = await nats.connect(nats_url)
        conn = await database.connect(database_url, settings.db_timeouts)
        try:
            try:
                await nc.jetstream().stream_info(settings.stream_name)
            except NotFoundError:
                where = redact(nats_url)
                print(f"no stream {settings.stream_name!r} at {where}: nothing to rebuild")
                return 1
            started = time.perf_counter()
            keys = await SubjectKeys.open(nc, settings.subject_keys, settings.stream_replicas)
            with Progress("rebuilt events", None) as shown:
                checkpoint = await rebuild(
                    nc,
                    conn,
                    settings.stream_name,
                    settings.db_schema,
                    settings.scoring_policy,
                    keys,
                    progress=lambda done, head: shown.update(done, head),
                    partitions=settings.projection_partitions,
                )
                shown.update(checkpoint, checkpoint)
            seconds = time.perf_counter() - started
            print(
                f"rebuilt schema {settings.db_schema!r} up to sequence {checkpoint} "
                f"in {seconds:.1f} s"
            )
        finally:
            await conn.close()
            await nc.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``okr`` command."""
    parser = argparse.ArgumentParser(prog="okr", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    serve_cmd = sub.add_parser("serve", help="run the service until Ctrl-C")
    serve_cmd.add_argument("--demo", action="store_true", help="send the demo commands first")
    serve_cmd.add_argument(
        "--projectors",
        type=int,
        help="projector worker processes to start (default OKR_PROJECTORS; 1: in-process, "
        "0: none, workers run elsewhere with okr project)",
    )
    project_cmd = sub.add_parser(
        "project",
        help="run one projector worker (it shares the read models' partitions with the others)",
    )
    project_cmd.add_argument("--worker", help="its id (default: host-pid); names its consumer")
    project_cmd.add_argument("--parent", type=int, help=argparse.SUPPRESS)
    sub.add_parser("demo", help="run the service, send the demo commands, and exit")
    sub.add_parser(
        "rebuild",
        help="rebuild the read models from the event log into a fresh schema and swap it in "
        "(stop the service first)",
    )
    add_token_commands(sub)
    add_audit_commands(sub)
    add_projection_commands(sub)
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    configure_logging(settings.log_format, logging.DEBUG if args.verbose else logging.INFO)
    if not args.verbose:
        for noisy in ("okr.broker", "pgserver"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    # pgserver (through platformdirs) warns that root has no XDG_RUNTIME_DIR; it copes.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    try:
        return _run(args, settings)
    except (UnusableSecret, UnusableSealKey) as exc:
        parser.exit(2, f"okr: error: {exc}\n")
    except ValueError as exc:  # a token the authority refuses to sign (tenant, subject)
        if args.command != "token":
            raise
        parser.exit(2, f"okr token: error: {exc}\n")
    except (DataDirInUse, PartitionMismatch) as exc:
        print(f"okr {args.command}: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        if args.projectors is not None:
            if args.projectors < 0:
                raise SystemExit("okr serve: --projectors must be 0 or more")
            settings = replace(settings, projectors=args.projectors)
        return asyncio.run(serve(settings, demo=args.demo, keep_running=True))
    if args.command == "project":
        return asyncio.run(run_worker(settings, args.worker, args.parent))
    if args.command == "token":
        return asyncio.run(run_tokens(args, settings))
    if args.command == "rebuild":
        return asyncio.run(rebuild_read_models(settings))
    if args.command == "audit" and args.audit_command in OFFLINE:
        return run_offline(args, settings)  # no server, no event loop
    if args.command == "audit":
        return asyncio.run(run_audit(args, settings))
    if args.command == "projections":
        return asyncio.run(run_projections(args, settings))
    return asyncio.run(serve(settings, demo=True, keep_running=False))


if __name__ == "__main__":
    raise SystemExit(main())
