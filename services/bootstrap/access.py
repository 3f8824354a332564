"""Who may call the HTTP API: the deployment's token authority and its revocations."""

from __future__ import annotations

from collections.abc import Container
from datetime import timedelta

from nats.aio.client import Client

from services.adapters.auth_secret import token_secret
from services.adapters.revoked_tokens import RevokedTokens
from services.application.auth import LONGEST_MAX_LIFETIME, TokenAuthority
from services.settings import Settings


async def open_revocations(nc: Client, settings: Settings) -> RevokedTokens:
    """The deployment's revoked tokens; each revocation outlives the longest-lived token."""
    keep = LONGEST_MAX_LIFETIME + timedelta(days=1)
    return await RevokedTokens.open(nc, settings.revoked_tokens, keep, settings.stream_replicas)


def token_authority(settings: Settings, revoked: Container[str] = frozenset()) -> TokenAuthority:
    """The deployment's token authority: its secret, its longest lifetime, its revocations."""
    return TokenAuthority(token_secret(settings), timedelta(days=settings.token_max_days), revoked)
