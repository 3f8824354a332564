"""Session servers (started only when a test asks) and per-test isolation."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import nats
import pytest
from nats.aio.client import Client

from tests.servers import nats_server, planned_sources, postgres_server

# What actually started, and how long it took: filled in by the fixtures, shown at the end.
_STARTED: dict[str, str] = {}


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say where the servers will come from, so a CI log shows it."""
    return [f"{name} server: {source}" for name, source in planned_sources().items()]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say which servers this session started (none if no test needed them)."""
    for name, source in _STARTED.items():
        terminalreporter.write_line(f"{name} server: {source}")


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a NATS server with JetStream, shared by the session."""
    began = time.perf_counter()
    with nats_server(tmp_path_factory.mktemp("nats")) as (url, source):
        _STARTED["nats"] = f"{source}, ready in {time.perf_counter() - began:.2f} s"
        yield url


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """DSN of a PostgreSQL server (asyncpg-compatible), shared by the session."""
    began = time.perf_counter()
    with postgres_server() as (dsn, source):
        _STARTED["postgres"] = f"{source}, ready in {time.perf_counter() - began:.2f} s"
        yield dsn


def _token() -> str:
    return uuid.uuid4().hex[:12]


@pytest.fixture
def tenant() -> str:
    """A tenant id no other test uses (a valid subject token)."""
    return f"t-{_token()}"


@pytest.fixture
def stream_name() -> str:
    """A JetStream stream name no other test uses."""
    return f"OKR_T_{_token().upper()}"


@pytest.fixture
async def nats_client(nats_url: str) -> AsyncIterator[Client]:
    """A nats-py connection for one test."""
    nc = await nats.connect(nats_url)
    try:
        yield nc
    finally:
        await nc.close()


@pytest.fixture
async def pg_schema(database_url: str) -> AsyncIterator[str]:
    """A new PostgreSQL schema of the test's own, dropped afterwards."""
    schema = f"t_{_token()}"
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        yield schema
        # Tests derive schemas from theirs (rebuilds, references): those go too.
        derived = await conn.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname = $1 OR starts_with(nspname, $2)",
            schema,
            f"{schema}_",
        )
        for row in derived:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{row["nspname"]}" CASCADE')
    finally:
        await conn.close()
