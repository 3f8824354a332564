"""The command side wired once: stream, store, handler, claims, dead letters, the NATS listener."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from faststream.nats import NatsBroker
from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.errors import NoRespondersError

from events.subjects import Subjects
from services.adapters.clock import now_utc
from services.adapters.command_ids import CommandIdClaims
from services.adapters.dead_letters import DeadLetters
from services.adapters.event_store import EventStore
from services.adapters.stream import StreamSettings, ensure_stream
from services.adapters.subject_keys import SubjectKeys
from services.adapters.telemetry.setup import Telemetry, telemetry_for
from services.application.facts_loader import FactsLoader
from services.application.handler import Clock, CommandHandler
from services.application.ingest.service import Ingestor
from services.application.repository import Repository
from services.domain import DECIDERS
from services.entrypoints.nats.listener import Listener
from services.entrypoints.nats.router import Wiring, serve
from services.settings import Settings

log = logging.getLogger(__name__)
# Longest wait at shutdown for the requests already received (a command's own waits are
# bounded by the store's timeout and retries, well under this).
SHUTDOWN_GRACE_S = 30.0


PROBE_TENANT = "probe"
PROBE_COMMAND = "probe"  # no command has this name: answered UNKNOWN_COMMAND, stores nothing
PROBE_ATTEMPTS = 50
PROBE_PAUSE_S = 0.02


async def wait_until_answered(nc: Client, subject: str) -> None:
    """Return once a request on ``subject`` gets an answer (the server may answer that
    nobody listens for a moment after a subscription was flushed)."""
    for _ in range(PROBE_ATTEMPTS - 1):
        try:
            await nc.request(subject, b"{}", timeout=5)
            return
        except NoRespondersError:
            await asyncio.sleep(PROBE_PAUSE_S)
    await nc.request(subject, b"{}", timeout=5)


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
    keys: SubjectKeys


@asynccontextmanager
async def command_service(
    settings: Settings,
    nats_url: str,
    clock: Clock = now_utc,
    telemetry: Telemetry | None = None,
) -> AsyncIterator[CommandService]:
    """Start the command service against ``nats_url``; stop it on exit.

    ``clock`` stamps recorded-at (tests of recorded-time replays set it); ``telemetry``
    defaults to the process's (``read_side`` shares it, so /metrics shows both sides).
    """
    telemetry = telemetry or telemetry_for(settings)
    subjects = Subjects(settings.subject_root)
    # faststream logs each message and task at INFO; its own logger keeps them apart.
    broker = NatsBroker(
        nats_url,
        logger=logging.getLogger("okr.broker"),
        log_level=logging.DEBUG,
        max_reconnect_attempts=-1,
    )
    nc = await broker.connect()
    listeners: list[Listener] = []
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
        keys = await SubjectKeys.open(nc, settings.subject_keys, settings.stream_replicas)
        store = EventStore(nc, settings.stream_name, subjects, keys=keys)
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
            keys,
            telemetry,
        )
        dead_letters = DeadLetters(nc, settings.dead_letters, subjects)
        await dead_letters.ensure_stream(settings.stream_replicas)
        wiring = Wiring(handler, Ingestor(handler, dead_letters, clock), clock)
        await broker.start()
        listeners = await serve(nc, subjects, wiring)
        # A round trip after the SUBs, then a request the service answers without touching
        # anything (an unknown command): once it is answered, so is a client's first one.
        await nc.flush()
        await wait_until_answered(nc, subjects.command(PROBE_TENANT, PROBE_COMMAND))
        log.info(
            "command service listening on %s and %s",
            subjects.any_command(),
            subjects.ingest_wildcard(),
        )
        yield CommandService(
            nats_url, subjects, settings.stream_name, nc, store, handler, dead_letters, keys
        )
    finally:
        # In-flight commands finish before the connection goes: none is left half-written.
        for listener in listeners:
            await listener.stop(SHUTDOWN_GRACE_S)
        try:
            await broker.stop()
        except NatsError as exc:  # shutting down anyway; say why the drain was cut short
            log.warning("NATS connection closed uncleanly: %s", exc)
