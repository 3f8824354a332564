"""Wires the read side once: migrations, the projector, and the HTTP query API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
import uvicorn
from nats.aio.client import Client

from events.subjects import Subjects
from projections.queries import ReadModels
from projections.runner import PROJECTION_NAME, Projector
from projections.views import ProjectionLag
from services import database
from services.app import now_utc
from services.auditor import Auditor
from services.auth import TokenAuthority
from services.auth_secret import token_secret
from services.embedded import free_port
from services.http_auth import Gate
from services.ingest import DeadLetters
from services.projector_supervisor import ProjectorSupervisor
from services.query_api import create_query_app
from services.settings import Settings
from services.store.event_store import EventStore
from services.write_api import WriteGateway

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReadSide:
    """The running projector and query API."""

    supervisor: ProjectorSupervisor
    models: ReadModels
    http_url: str

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
async def read_side(settings: Settings, nc: Client, database_url: str) -> AsyncIterator[ReadSide]:
    """Migrate, start the projector and the query API; stop both on exit."""
    waits = settings.db_timeouts
    projector_conn = await database.connect(database_url, waits)
    pool = await database.read_pool(database_url, waits, settings.db_schema)
    models = ReadModels(pool, acquire_timeout_s=waits.acquire_s)
    projector = Projector(nc, projector_conn, settings.stream_name, settings.db_schema)
    supervisor = ProjectorSupervisor(nc, database_url, settings, projector_conn, projector)
    port = _http_port(settings.http_host, settings.http_port)
    side = ReadSide(supervisor, models, f"http://{settings.http_host}:{port}")
    subjects = Subjects(settings.subject_root)
    store = EventStore(nc, settings.stream_name, subjects)
    writes = WriteGateway(nc, subjects, DeadLetters(nc, settings.dead_letters, subjects), now_utc)
    app = create_query_app(
        models,
        side.lag,
        Gate(TokenAuthority(token_secret(settings))),
        Auditor(store, database_url, settings.db_schema, timeouts=waits),
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
        yield side
    finally:
        stop.set()
        server.should_exit = True
        await asyncio.gather(serving, projecting, return_exceptions=True)
        await pool.close()
        with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            await supervisor.conn.close(timeout=5)
