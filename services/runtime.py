"""Wires the command service once: servers, stream, store, handler, NATS endpoints."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from faststream.nats import NatsBroker
from nats.aio.client import Client
from nats.errors import Error as NatsError

from events.subjects import Subjects
from services.app import now_utc, register_commands
from services.command_ids import CommandIdClaims
from services.domain import DECIDERS, EVOLVERS
from services.facts_loader import FactsLoader
from services.handler import Clock, CommandHandler
from services.ingest import DeadLetters, Ingestor, register_ingest
from services.repository import Repository
from services.settings import Settings
from services.store.event_store import EventStore
from services.store.stream import StreamSettings, ensure_stream

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
        repository = Repository(store, EVOLVERS)
        claims = await CommandIdClaims.open(
            nc, settings.command_ids, settings.command_id_days, settings.stream_replicas
        )
        handler = CommandHandler(
            store,
            repository,
            DECIDERS,
            FactsLoader(repository),
            clock,
            settings.command_retries,
            claims,
            settings.clock_skew,
        )
        dead_letters = DeadLetters(nc, settings.dead_letters, subjects)
        await dead_letters.ensure_stream(settings.stream_replicas)
        register_commands(broker, handler, subjects, clock)
        register_ingest(broker, Ingestor(handler, dead_letters, clock), subjects)
        await broker.start()
        # A round trip after the SUBs: once it returns, the server routes requests to us.
        await nc.flush()
        log.info(
            "command service listening on %s and %s",
            subjects.command_wildcard("*"),
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
