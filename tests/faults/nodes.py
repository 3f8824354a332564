"""Servers a fault test owns: it may stop, kill and restart them (never the session's).

A restart keeps the port and the data directory, as an operator's restart would, so
clients reconnect to the same URL and JetStream recovers the same files.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from services.adapters.embedded import EmbeddedPostgres, free_port, nats_server_binary

READY_TIMEOUT_S = 20.0
_READY = b"Server is ready"


@dataclass
class NatsNode:
    """One nats-server process with JetStream; optionally a member of a cluster."""

    store_dir: Path
    name: str = "n1"
    port: int = field(default_factory=free_port)
    cluster_port: int | None = None
    routes: tuple[int, ...] = ()  # the cluster ports of every member, this one included
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The client URL (stable across restarts)."""
        return f"nats://127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        """Where the server logs (appended across restarts)."""
        return self.store_dir / f"{self.name}.log"

    def _args(self) -> list[str]:
        args = [
            str(nats_server_binary()),
            "-js",
            "-sd",
            str(self.store_dir),
            "-a",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-n",
            self.name,
        ]
        if self.cluster_port is not None:
            routes = ",".join(f"nats://127.0.0.1:{p}" for p in self.routes)
            args += ["--cluster_name", "okr-faults", "--cluster"]
            args += [f"nats://127.0.0.1:{self.cluster_port}", "--routes", routes]
        return args

    def start(self, wait: bool = True) -> NatsNode:
        """Start the process (same port, same store); wait for its ready line if ``wait``."""
        if self.process is not None:
            return self
        self.store_dir.mkdir(parents=True, exist_ok=True)
        offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                self._args(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if wait:
            self.wait_ready(offset)
        return self

    def wait_ready(self, offset: int = 0) -> None:
        """Block until this run's log says the server is ready."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"nats-server {self.name} exited:\n{self._log_from(offset)}")
            if _READY in self._log_from(offset).encode():
                return
            time.sleep(0.02)
        raise RuntimeError(f"nats-server {self.name} not ready:\n{self._log_from(offset)}")

    def _log_from(self, offset: int) -> str:
        with self.log_file.open("rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")

    def stop(self) -> None:
        """A clean stop (SIGTERM): the server flushes and says goodbye to its clients."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """A crash (SIGKILL): nothing is flushed, connections just drop."""
        self._end(signal.SIGKILL)

    def _end(self, sig: signal.Signals) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        process.send_signal(sig)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def nats_node(store_dir: Path) -> Iterator[NatsNode]:
    """A standalone JetStream server of the test's own, stopped afterwards."""
    node = NatsNode(store_dir).start()
    try:
        yield node
    finally:
        node.kill()


@contextlib.contextmanager
def nats_cluster(base_dir: Path, size: int = 3) -> Iterator[list[NatsNode]]:
    """``size`` clustered JetStream servers on loopback (full mesh of routes)."""
    cluster_ports = tuple(free_port() for _ in range(size))
    nodes = [
        NatsNode(
            base_dir / f"n{i + 1}",
            name=f"n{i + 1}",
            cluster_port=cluster_ports[i],
            routes=cluster_ports,
        )
        for i in range(size)
    ]
    try:
        # All at once: a JetStream cluster elects its meta leader once a quorum is up.
        for node in nodes:
            node.start(wait=False)
        for node in nodes:
            node.wait_ready()
        yield nodes
    finally:
        for node in nodes:
            node.kill()


class OwnPostgres:
    """PostgreSQL (pgserver's binaries) on a data directory of the test's own.

    ``stop``/``start`` use pg_ctl on the same data directory and socket directory, so
    the DSN stays valid across a restart.
    """

    def __init__(self, data_dir: Path) -> None:
        self._embedded = EmbeddedPostgres(data_dir)
        self.data_dir = data_dir

    def __enter__(self) -> OwnPostgres:
        self._embedded.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._embedded.stop()

    @property
    def dsn(self) -> str:
        """The DSN (unix socket), unchanged by restarts."""
        return self._embedded.dsn

    def _pg_ctl(self, *args: str) -> None:
        # pgserver runs PostgreSQL as its own system user when we are root.
        from pgserver._commands import pg_ctl  # type: ignore[attr-defined]  # made at import

        user = "pgserver" if os.geteuid() == 0 else None
        pg_ctl(list(args), pgdata=self.data_dir, user=user, timeout=30)

    def processes(self) -> list[int]:
        """The postmaster's pid and those of all its children (backends, workers)."""
        import psutil  # pgserver's dependency; only the freeze needs it

        postmaster = int((self.data_dir / "postmaster.pid").read_text().split()[0])
        children = psutil.Process(postmaster).children(recursive=True)
        return [postmaster, *(child.pid for child in children)]

    def freeze(self) -> list[int]:
        """SIGSTOP the whole server: connections stay open, nothing answers; returns the pids."""
        pids = self.processes()
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        return pids

    def thaw(self, pids: list[int]) -> None:
        """SIGCONT what ``freeze`` stopped."""
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server; ``immediate`` is a crash (no checkpoint, clients cut off)."""
        self._pg_ctl("-w", "-m", mode, "stop")

    def start(self) -> None:
        """Start it again on the same socket directory."""
        socket_dir = parse_qs(urlsplit(self.dsn).query)["host"][0]
        log = str(self.data_dir / "log")
        self._pg_ctl("-w", "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", log, "start")
