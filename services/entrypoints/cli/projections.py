"""``okr projections``: list parked tenants, and resume one after a fix."""

from __future__ import annotations

import argparse
import asyncio

import asyncpg
import nats

from events.personal import KeyRing
from events.subjects import Subjects
from projections.consumer import EventLog
from projections.parking import parked_tenants, request_resume
from projections.partitions import DEFAULT_PARTITIONS, claim_sole_writer, release_sole_writer
from projections.resume import resume_tenant
from projections.runner import PROJECTION_NAME
from projections.scoring import ScoringPolicy
from projections.tables import PARKED
from projections.writer import ProjectionWriter, check_schema
from services.adapters.servers import resolve_servers
from services.adapters.subject_keys import SubjectKeys
from services.settings import Settings

_POLL_S = 0.2


def add_projection_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``okr projections status|resume``."""
    projections = commands.add_parser(
        "projections", help="operators: tenants parked on an event the read models cannot take"
    )
    steps = projections.add_subparsers(dest="projections_command", required=True)
    steps.add_parser("status", help="list the parked tenants, each with its event and error")
    resume = steps.add_parser(
        "resume",
        help="after a fix (code or upcaster): apply a parked tenant's held-back events "
        "(the running service's projector does it; with the service stopped, this command)",
    )
    resume.add_argument("--tenant", required=True)
    resume.add_argument("--wait", type=float, default=60.0, help="seconds to wait for the service")


async def resume_parked(
    conn: asyncpg.Connection,
    event_log: EventLog,
    schema: str,
    tenant: str,
    policy: ScoringPolicy,
    wait_s: float = 60.0,
    keys: KeyRing | None = None,
    partitions: int = DEFAULT_PARTITIONS,
) -> str | None:
    """Resume ``tenant``; returns None once it is un-parked, else why it is not.

    While projector workers are live, the owner of the tenant's partition is asked
    through the parked row and waited for, since it is the single writer of the tenant;
    else this session becomes the schema's sole writer and does the same catch-up.
    """
    check_schema(schema)
    if await claim_sole_writer(conn, schema):
        try:
            writer = ProjectionWriter(
                conn, schema, PROJECTION_NAME, policy, keys=keys, partitions=partitions
            )
            await writer.open()
            if tenant not in writer.parked:
                return f"tenant {tenant!r} is not parked"
            await request_resume(conn, tenant)
            culprit = await resume_tenant(writer, event_log, tenant)
            return None if culprit is None else _still(culprit.first_sequence, culprit.error)
        finally:
            await release_sole_writer(conn, schema)
    await conn.execute(f'SET search_path TO "{schema}"')
    if not await request_resume(conn, tenant):
        return f"tenant {tenant!r} is not parked"
    async with asyncio.timeout(wait_s):
        while True:
            row = await conn.fetchrow(
                f"SELECT first_sequence, error, resume_requested_at FROM {PARKED} "
                "WHERE tenant_id = $1",
                tenant,
            )
            if row is None:
                return None
            if row["resume_requested_at"] is None:  # tried, and parked again
                return _still(row["first_sequence"], row["error"])
            await asyncio.sleep(_POLL_S)


def _still(sequence: int, error: str) -> str:
    return f"still parked at sequence {sequence}: {error}"


async def run_projections(args: argparse.Namespace, settings: Settings) -> int:
    """Run one ``okr projections`` step; the exit code says whether all was well."""
    async with resolve_servers(settings) as (nats_url, database_url):
        conn = await asyncpg.connect(database_url)
        try:
            if args.projections_command == "status":
                await conn.execute(f'SET search_path TO "{check_schema(settings.db_schema)}"')
                try:
                    rows = await parked_tenants(conn)
                except asyncpg.UndefinedTableError:
                    print(f"no read models in schema {settings.db_schema!r} yet: nothing parked")
                    return 0
                for p in rows:
                    print(
                        f"{p.tenant_id}: parked at sequence {p.first_sequence} since "
                        f"{p.parked_at:%Y-%m-%d %H:%M:%S}Z ({p.subject}, {p.event_type}): {p.error}"
                    )
                print(f"{len(rows)} parked tenants")
                return 0 if not rows else 1
            nc = await nats.connect(nats_url)
            try:
                event_log = EventLog(nc, settings.stream_name, Subjects(settings.subject_root))
                keys = await SubjectKeys.open(nc, settings.subject_keys, settings.stream_replicas)
                failure = await resume_parked(
                    conn,
                    event_log,
                    settings.db_schema,
                    args.tenant,
                    settings.scoring_policy,
                    args.wait,
                    keys=keys,
                    partitions=settings.projection_partitions,
                )
            finally:
                await nc.close()
            print(failure or f"tenant {args.tenant!r} resumed")
            return 0 if failure is None else 1
        finally:
            await conn.close()
