"""Where the token secret comes from: the environment, else a file in the data dir."""

from __future__ import annotations

import secrets
from pathlib import Path

from services.adapters.private_file import create_once
from services.settings import Settings

SECRET_FILE = "auth-secret"
MIN_SECRET_BYTES = 32  # HS256 wants a key at least as long as its hash


class UnusableSecret(Exception):
    """The token secret is missing or too short to sign with."""


def token_secret(settings: Settings) -> str:
    """``OKR_AUTH_SECRET`` if set, else the data dir's secret (created on first use, 0600).

    The file lets `okr token` mint tokens that the locally running service accepts.
    """
    if settings.auth_secret:
        return _usable(settings.auth_secret, "OKR_AUTH_SECRET")
    path = Path(settings.data_dir) / SECRET_FILE
    create_once(path, lambda: secrets.token_urlsafe(48))
    return _usable(path.read_text().strip(), str(path))


def _usable(secret: str, where: str) -> str:
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise UnusableSecret(
            f"the token secret in {where} has {len(secret.encode())} bytes, at least "
            f"{MIN_SECRET_BYTES} are needed (delete an unusable secret file to have a new one "
            "made; tokens signed with the old one stop working)"
        )
    return secret
