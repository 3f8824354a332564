"""The read side wired once: projector, seals, cadence scanner, readiness and the HTTP API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime

import asyncpg
import uvicorn
from nats.aio.client import Client
from nats.js.errors import NotFoundError

from events.subjects import Subjects
from projections.cadence.facts import GoalFacts
from projections.consumer import EventLog
from projections.parking import Queryable
from projections.partitions import partition_of
from projections.queries import ReadModels
from projections.read_models import goals, rhythm
from projections.read_models.tenant_settings import TenantSettings
from projections.runner import PROJECTION_NAME, Projector
from projections.views import ProjectionLag, TenantLag
from services.adapters import database
from services.adapters.clock import now_utc
from services.adapters.dead_letters import DeadLetters
from services.adapters.embedded import free_port
from services.adapters.seal_key import seal_keys
from services.adapters.seal_store import SealStore
from services.adapters.signal_stream import SignalStream
from services.adapters.stream import StreamSettings
from services.adapters.subject_keys import SubjectKeys
from services.adapters.telemetry.setup import Telemetry, telemetry_for
from services.application.auditor import Auditor
from services.application.cadence_scanner import CadenceScanner
from services.application.handler import Clock
from services.application.projector_supervisor import ProjectorSupervisor
from services.application.readiness import ReadinessProbe
from services.application.sealing.schedule import SealSchedule
from services.application.sealing.service import Sealing
from services.bootstrap.access import open_revocations, token_authority
from services.entrypoints.http.app import Lags, create_query_app
from services.entrypoints.http.auth import Gate
from services.entrypoints.http.health import health_router
from services.entrypoints.http.metrics import metrics_router
from services.entrypoints.http.writes import WriteGateway
from services.settings import Settings

log = logging.getLogger(__name__)


async def lag_of_tenant(
    nc: Client, stream: str, subjects: Subjects, whole: ProjectionLag, tenant: str
) -> TenantLag:
    """``whole`` (the stream-wide lag with ``tenant``'s parking) narrowed to ``tenant``:
    whether its partition's checkpoint has passed its last event, and nothing of other
    tenants."""
    try:
        head = (await nc.jetstream().get_last_msg(stream, subjects.tenant(tenant))).seq or 0
    except NotFoundError:  # the tenant has no events yet
        head = 0
    done = whole.checkpoint
    if whole.partitions:
        done = whole.partitions[partition_of(tenant, len(whole.partitions))].checkpoint
    return TenantLag(
        projection=whole.projection,
        tenant=tenant,
        caught_up=done >= head,
        parked=whole.parked,
    )


@dataclass(frozen=True)
class ReadSide:
    """The running projector (unless worker processes project) and query API."""

    supervisor: ProjectorSupervisor | None
    models: ReadModels
    http_url: str
    nc: Client
    stream: str
    subjects: Subjects
    sealing: Sealing
    scanner: CadenceScanner | None = None  # set once the signal stream is ready

    @property
    def projector(self) -> Projector:
        """The in-process projector of the current life."""
        if self.supervisor is None:
            raise RuntimeError("this service does not project: its projector workers do")
        return self.supervisor.projector

    async def lag(self, tenant: str = "") -> ProjectionLag:
        """How far the read models are behind the stream (and ``tenant``'s parking)."""
        info = await self.nc.jetstream().stream_info(self.stream)
        return await self.models.lag(PROJECTION_NAME, info.state.last_seq, tenant)

    async def tenant_lag(self, tenant: str) -> TenantLag:
        """Whether ``tenant``'s events are all applied, and its parking (its own view)."""
        whole = await self.lag(tenant)
        return await lag_of_tenant(self.nc, self.stream, self.subjects, whole, tenant)

    async def wait_until_current(self, timeout_s: float = 30.0) -> None:
        """Return once the read models have applied everything stored so far."""
        async with asyncio.timeout(timeout_s):
            while (await self.lag()).lag > 0:  # noqa: ASYNC110 (polls the servers, not a local flag)
                await asyncio.sleep(0.05)


def _probe_wait_s(settings: Settings) -> float:
    """How long a readiness check or a scrape waits on PostgreSQL: a pooled connection,
    then one statement."""
    return settings.db_timeouts.acquire_s + settings.db_timeouts.query_s


async def _select_one(conn: Queryable) -> None:
    await conn.fetchval("SELECT 1")


def readiness_probe(
    settings: Settings, nc: Client, models: ReadModels, side: ReadSide
) -> ReadinessProbe:
    """The readiness checks of this service's streams, database and projection."""
    subjects = Subjects(settings.subject_root)
    streams = [
        StreamSettings(settings.stream_name, subjects),
        StreamSettings(settings.dead_letters, subjects, dead_letters=True),
    ]

    async def ping() -> None:
        await models.read(_select_one)

    return ReadinessProbe(
        nc, streams, ping, side.lag, settings.ready_max_lag, _probe_wait_s(settings)
    )


def _http_port(host: str, wanted: int) -> int:
    """``wanted`` if it can be bound, else a free port (0 always means a free port)."""
    if wanted:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            try:
                sock.bind((host, wanted))
                return wanted
            except OSError:
                log.warning("port %s is taken; the query API takes a free one", wanted)
    return free_port(host)


@asynccontextmanager
async def cadence_signals(
    settings: Settings, nc: Client, models: ReadModels, clock: Clock = now_utc
) -> AsyncIterator[CadenceScanner]:
    """Scan for due check-ins, stale goals and hygiene findings every
    ``settings.cadence_scan_s`` at ``clock()`` (business time); stop on exit."""
    signals = SignalStream(nc, settings.signals, Subjects(settings.subject_root))
    await signals.ensure(settings.signal_duplicate_window_s, settings.stream_replicas)

    async def open_goals(now: datetime) -> tuple[list[GoalFacts], dict[str, TenantSettings]]:
        return await models.read(rhythm.open_goals, now)

    scanner = CadenceScanner(open_goals, signals)
    stop = asyncio.Event()
    scanning = asyncio.create_task(scanner.run(clock, settings.cadence_scan_s, stop))
    try:
        yield scanner
    finally:
        stop.set()
        await asyncio.gather(scanning, return_exceptions=True)


@asynccontextmanager
async def read_side(
    settings: Settings,
    nc: Client,
    database_url: str,
    keys: SubjectKeys | None = None,
    *,
    telemetry: Telemetry | None = None,
    clock: Clock = now_utc,
) -> AsyncIterator[ReadSide]:
    """Migrate, start the projector, the cadence scanner and the query API; stop all on
    exit.

    ``keys``: the command service's, so that an erasure it makes is seen here at once.
    """
    telemetry = telemetry or telemetry_for(settings)
    waits = settings.db_timeouts
    keys = keys or await SubjectKeys.open(nc, settings.subject_keys, settings.stream_replicas)
    projector_conn = await database.connect(database_url, waits)
    pool = await database.read_pool(database_url, waits, settings.db_schema)
    policy = settings.scoring_policy
    models = ReadModels(pool, policy, acquire_timeout_s=waits.acquire_s)
    projector = Projector(
        nc,
        projector_conn,
        settings.stream_name,
        settings.db_schema,
        policy,
        keys=keys,
        observer=telemetry.projection(),
        partitions=settings.projection_partitions,
    )
    # With worker processes (okr serve --projectors N, or okr project elsewhere: 0), this
    # process only migrates.
    in_process = settings.projectors == 1
    supervisor = ProjectorSupervisor(nc, database_url, settings, projector_conn, projector)
    port = _http_port(settings.http_host, settings.http_port)
    subjects = Subjects(settings.subject_root)
    event_log = EventLog(nc, settings.stream_name, subjects)
    seal_store = SealStore(nc, settings.seals, subjects)
    await seal_store.ensure_stream(settings.stream_replicas)
    sealing = Sealing(event_log, seal_store, lambda: seal_keys(settings), now_utc)
    url = f"http://{settings.http_host}:{port}"
    side = ReadSide(
        supervisor if in_process else None, models, url, nc, settings.stream_name, subjects, sealing
    )
    writes = WriteGateway(nc, subjects, DeadLetters(nc, settings.dead_letters, subjects), now_utc)
    revoked = await open_revocations(nc, settings)
    await revoked.start()
    app = create_query_app(
        models,
        Lags(side.lag, side.tenant_lag),
        Gate(token_authority(settings, revoked)),
        Auditor(
            event_log,
            database_url,
            settings.db_schema,
            policy,
            timeouts=waits,
            keys=keys,
            replay_workers=settings.replay_workers,
            parallel_from=settings.replay_parallel_from,
        ),
        writes,
        sealing,
        operations=[
            health_router(readiness_probe(settings, nc, models, side)),
            metrics_router(
                telemetry.metrics, side.lag, _probe_wait_s(settings), sealing.latest_seal_times
            ),
        ],
        tracing=telemetry.tracing,
    )
    schedule = SealSchedule(
        sealing,
        lambda: models.read(goals.closed_cycles),
        settings.seal_interval_s,
        settings.seal_poll_s,
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host=settings.http_host, port=port, log_level="warning")
    )
    stop = asyncio.Event()
    await projector.writer.open()  # migrations run here, before the API answers
    projecting = asyncio.create_task(supervisor.run(stop) if in_process else stop.wait())
    sealing_task = asyncio.create_task(schedule.run(stop))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if serving.done():
                serving.result()  # re-raises why the server could not start
            await asyncio.sleep(0.01)
        log.info("query API on %s (OpenAPI: /openapi.json, docs: /docs)", side.http_url)
        async with cadence_signals(settings, nc, models, clock) as scanner:
            yield replace(side, scanner=scanner)
    finally:
        stop.set()
        server.should_exit = True
        await asyncio.gather(serving, projecting, sealing_task, return_exceptions=True)
        await revoked.stop()
        await pool.close()
        with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            await supervisor.conn.close(timeout=5)
