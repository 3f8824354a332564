"""Credentials of the embedded NATS: generated once into the data directory, never logged."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

CREDENTIALS_FILE = "nats-credentials.json"
SERVICE_USER = "okr-service"


@dataclass(frozen=True)
class NatsCredentials:
    """The one user of the embedded NATS: the service, its CLI and the demo."""

    user: str
    password: str

    def server_config(self) -> str:
        """A nats-server configuration block that admits this user and nobody else."""
        return (
            "# Written by okr at each start from nats-credentials.json; anonymous clients\n"
            "# are refused, so no loopback process can drop or recreate the streams.\n"
            f"authorization {{\n  user: {json.dumps(self.user)}\n"
            f"  password: {json.dumps(self.password)}\n}}\n"
        )

    def url(self, url: str) -> str:
        """``url`` with this user and password in it (nats-py reads them from there)."""
        parts = urlsplit(url)
        host = parts.netloc.rsplit("@", 1)[-1]
        return urlunsplit(parts._replace(netloc=f"{self.user}:{self.password}@{host}"))


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by this user only (0600 from the first byte)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    path.chmod(0o600)  # an older file keeps its mode through O_CREAT


def credentials(data_dir: Path) -> tuple[NatsCredentials, Path]:
    """The data dir's NATS credentials and their file, created on first use (0600)."""
    path = data_dir / CREDENTIALS_FILE
    if not path.exists():
        # Only the owner of the data dir's lock gets here, so no one writes it concurrently.
        generated = {"user": SERVICE_USER, "password": secrets.token_urlsafe(32)}
        write_private(path, json.dumps(generated, indent=1) + "\n")
    stored = json.loads(path.read_text())
    return NatsCredentials(str(stored["user"]), str(stored["password"])), path


def redact(url: str) -> str:
    """The URL without its password, fit for a log."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
