"""Session servers (started only when a test asks) and per-test isolation."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import nats
import pytest
from nats.aio.client import Client

from tests.servers import nats_server, postgres_server

_SOURCES: dict[str, str] = {}


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a NATS server with JetStream, shared by the session."""
    with nats_server(tmp_path_factory.mktemp("nats")) as (url, source):
        _SOURCES["nats"] = source
        yield url


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """DSN of a PostgreSQL server, shared by the session."""
    with postgres_server(tmp_path_factory.mktemp("pg")) as (dsn, source):
        _SOURCES["postgres"] = source
        yield dsn


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say where the servers came from, so a CI log shows it."""
    for name, source in _SOURCES.items():
        terminalreporter.write_line(f"{name} server: {source}")


@pytest.fixture
def tenant() -> str:
    """A tenant no other test uses."""
    return f"t-{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def nats_client(nats_url: str) -> AsyncIterator[Client]:
    """A nats-py connection for one test."""
    nc = await nats.connect(nats_url)
    yield nc
    await nc.close()


@pytest.fixture
async def pg_schema(database_url: str) -> AsyncIterator[str]:
    """A PostgreSQL schema of the test's own (dropped afterwards)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(database_url)
    try:
        yield schema
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()
