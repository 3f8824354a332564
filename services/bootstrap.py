"""Wires the service once: servers, stream, store, handler, NATS endpoints, projector, HTTP API."""

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
from faststream.nats import NatsBroker
from nats.aio.client import Client
from nats.errors import Error as NatsError

from events.subjects import Subjects
from projections.cadence.facts import GoalFacts
from projections.consumer import EventLog
from projections.queries import ReadModels
from projections.read_models import rhythm
from projections.read_models.tenant_settings import TenantSettings
from projections.runner import PROJECTION_NAME, Projector
from projections.views import ProjectionLag
from services.adapters import database
from services.adapters.auth_secret import token_secret
from services.adapters.clock import now_utc
from services.adapters.command_ids import CommandIdClaims
from services.adapters.dead_letters import DeadLetters
from services.adapters.embedded import free_port
from services.adapters.event_store import EventStore
from services.adapters.signal_stream import SignalStream
from services.adapters.stream import StreamSettings, ensure_stream
from services.application.auditor import Auditor
from services.application.auth import TokenAuthority
from services.application.cadence_scanner import CadenceScanner
from services.application.facts_loader import FactsLoader
from services.application.handler import Clock, CommandHandler
from services.application.ingest.service import Ingestor
from services.application.projector_supervisor import ProjectorSupervisor
from services.application.repository import Repository
from services.domain import DECIDERS
from services.entrypoints.http.app import create_query_app
from services.entrypoints.http.auth import Gate
from services.entrypoints.http.writes import WriteGateway
from services.entrypoints.nats.router import Wiring, serve
from services.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CommandService:
    """A running command service and what it is connected to."""

    nats_url: str
    subjects: Subjects
    stream_name: str
    connection: Client
    store: EventStore
    handler: CommandHandler
    dead_letters: DeadLetters


@asynccontextmanager
async def command_service(
    settings: Settings, nats_url: str, clock: Clock = now_utc
) -> AsyncIterator[CommandService]:
    """Start the command service against ``nats_url``; stop it on exit.

    ``clock`` stamps recorded-at (tests of recorded-time replays set it).
    """
    subjects = Subjects(settings.subject_root)
    # faststream logs each message and task at INFO; its own logger keeps them apart.
    broker = NatsBroker(
        nats_url,
        logger=logging.getLogger("okr.broker"),
        log_level=logging.DEBUG,
        max_reconnect_attempts=-1,
    )
    nc = await broker.connect()
    try:
        await ensure_stream(
            nc,
            StreamSettings(
                name=settings.stream_name,
                subjects=subjects,
                duplicate_window_s=settings.duplicate_window_s,
                replicas=settings.stream_replicas,
            ),
        )
        store = EventStore(nc, settings.stream_name, subjects)
        repository = Repository(store, DECIDERS)
        claims = await CommandIdClaims.open(
            nc, settings.command_ids, settings.command_id_days, settings.stream_replicas
        )
        handler = CommandHandler(
            store,
            repository,
            DECIDERS,
            FactsLoader(repository, settings.scoring_policy),
            clock,
            settings.command_retries,
            claims,
            settings.clock_skew,
        )
        dead_letters = DeadLetters(nc, settings.dead_letters, subjects)
        await dead_letters.ensure_stream(settings.stream_replicas)
        serve(broker, subjects, Wiring(handler, Ingestor(handler, dead_letters, clock), clock))
        await broker.start()
        # A round trip after the SUBs: once it returns, the server routes requests to us.
        await nc.flush()
        log.info(
            "command service listening on %s and %s",
            subjects.any_command(),
            subjects.ingest_wildcard(),
        )
        yield CommandService(
            nats_url, subjects, settings.stream_name, nc, store, handler, dead_letters
        )
    finally:
        try:
            await broker.stop()
        except NatsError as exc:  # shutting down anyway; say why the drain was cut short
            log.warning("NATS connection closed uncleanly: %s", exc)


@dataclass(frozen=True)
class ReadSide:
    """The running projector and query API."""

    supervisor: ProjectorSupervisor
    models: ReadModels
    http_url: str
    scanner: CadenceScanner | None = None  # set once the signal stream is ready

    @property
    def projector(self) -> Projector:
        """The projector of the current life."""
        return self.supervisor.projector

    async def lag(self, tenant: str = "") -> ProjectionLag:
        """How far the read models are behind the stream (and ``tenant``'s parking)."""
        info = await self.projector.stream_info()
        return await self.models.lag(PROJECTION_NAME, info.state.last_seq, tenant)

    async def wait_until_current(self, timeout_s: float = 30.0) -> None:
        """Return once the read models have applied everything stored so far."""
        async with asyncio.timeout(timeout_s):
            while (await self.lag()).lag > 0:  # noqa: ASYNC110 (polls the servers, not a local flag)
                await asyncio.sleep(0.05)


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
    settings: Settings, nc: Client, database_url: str, clock: Clock = now_utc
) -> AsyncIterator[ReadSide]:
    """Migrate, start the projector, the cadence scanner and the query API; stop all on
    exit."""
    waits = settings.db_timeouts
    projector_conn = await database.connect(database_url, waits)
    pool = await database.read_pool(database_url, waits, settings.db_schema)
    policy = settings.scoring_policy
    models = ReadModels(pool, policy, acquire_timeout_s=waits.acquire_s)
    projector = Projector(nc, projector_conn, settings.stream_name, settings.db_schema, policy)
    supervisor = ProjectorSupervisor(nc, database_url, settings, projector_conn, projector)
    port = _http_port(settings.http_host, settings.http_port)
    side = ReadSide(supervisor, models, f"http://{settings.http_host}:{port}")
    subjects = Subjects(settings.subject_root)
    event_log = EventLog(nc, settings.stream_name, subjects)
    writes = WriteGateway(nc, subjects, DeadLetters(nc, settings.dead_letters, subjects), now_utc)
    app = create_query_app(
        models,
        side.lag,
        Gate(TokenAuthority(token_secret(settings))),
        Auditor(event_log, database_url, settings.db_schema, policy, timeouts=waits),
        writes,
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host=settings.http_host, port=port, log_level="warning")
    )
    stop = asyncio.Event()
    await projector.writer.open()  # migrations run here, before the API answers
    projecting = asyncio.create_task(supervisor.run(stop))
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
        await asyncio.gather(serving, projecting, return_exceptions=True)
        await pool.close()
        with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            await supervisor.conn.close(timeout=5)
