"""Fixtures for the write side: a fresh stream (own name, own subject root) per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from nats.aio.client import Client

from events.subjects import Subjects
from projections.consumer import EventLog
from services.adapters.event_store import EventStore
from services.adapters.stream import StreamSettings, ensure_stream
from services.application.auth import Role, TokenAuthority
from services.bootstrap import CommandService, ReadSide, command_service, read_side
from services.entrypoints.http.auth import Gate
from services.settings import Settings


@pytest.fixture
def subjects() -> Subjects:
    """A subject root no other test uses, so streams never overlap on a shared server."""
    return Subjects(root=f"t{uuid.uuid4().hex[:12]}")


@pytest.fixture
def stream_settings(subjects: Subjects) -> StreamSettings:
    """Stream settings named after the test's subject root."""
    return StreamSettings(name=f"OKR_{subjects.root.upper()}", subjects=subjects)


@pytest.fixture
async def event_store(nats_client: Client, stream_settings: StreamSettings) -> EventStore:
    """An event store on its own new stream."""
    await ensure_stream(nats_client, stream_settings)
    return EventStore(nats_client, stream_settings.name, stream_settings.subjects)


@pytest.fixture
def event_log(
    nats_client: Client, event_store: EventStore, stream_settings: StreamSettings
) -> EventLog:
    """The read side's view of the event store's stream."""
    return EventLog(nats_client, stream_settings.name, stream_settings.subjects)


def log_of(service: CommandService) -> EventLog:
    """The read side's view of a running service's stream."""
    return EventLog(service.connection, service.stream_name, service.subjects)


@pytest.fixture
async def service(nats_url: str, stream_settings: StreamSettings) -> AsyncIterator[CommandService]:
    """The command service, running on its own stream and command subjects."""
    settings = Settings(
        nats_url=nats_url,
        stream_name=stream_settings.name,
        subject_root=stream_settings.subjects.root,
    )
    async with command_service(settings, nats_url) as running:
        yield running


TEST_SECRET = "test-secret-of-at-least-thirty-two-bytes!"
TEST_SEAL_KEY = "5e" * 32  # an Ed25519 seed, so no test writes a key file into the checkout


@pytest.fixture
def authority() -> TokenAuthority:
    """The token authority the test's HTTP API trusts."""
    return TokenAuthority(TEST_SECRET)


@pytest.fixture
def gate(authority: TokenAuthority) -> Gate:
    """The HTTP API's gate over ``authority``."""
    return Gate(authority)


def bearer(
    authority: TokenAuthority, tenant: str, role: Role, who: str = "tester"
) -> dict[str, str]:
    """An Authorization header for ``who`` as ``role`` in ``tenant``."""
    token = authority.issue(tenant, role, who, datetime.now(UTC))
    return {"Authorization": f"Bearer {token}"}


def read_settings(stream_settings: StreamSettings, pg_schema: str) -> Settings:
    """Settings of a test's service and read side: its stream, schema, any free HTTP port."""
    return Settings(
        stream_name=stream_settings.name,
        subject_root=stream_settings.subjects.root,
        db_schema=pg_schema,
        http_port=0,
        auth_secret=TEST_SECRET,
        seal_key=TEST_SEAL_KEY,
    )


@pytest.fixture
async def reads(
    service: CommandService, stream_settings: StreamSettings, database_url: str, pg_schema: str
) -> AsyncIterator[ReadSide]:
    """The read side and HTTP API over the test's service, its own schema, any free port."""
    settings = read_settings(stream_settings, pg_schema)
    async with read_side(settings, service.connection, database_url, service.keys) as running:
        yield running


@pytest.fixture
async def http(reads: ReadSide) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of ``reads``' API."""
    async with httpx.AsyncClient(base_url=reads.http_url, timeout=20) as client:
        yield client
