"""``okr token``: issue an HTTP bearer token, or revoke one on every instance."""

from __future__ import annotations

import argparse
import math
import sys
from datetime import timedelta

import nats

from services.adapters.clock import now_utc
from services.adapters.servers import resolve_servers
from services.application.auth import DEFAULT_LIFETIME, LONGEST_MAX_LIFETIME, InvalidToken, Role
from services.bootstrap import open_revocations, token_authority
from services.settings import Settings


def add_token_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``okr token [--tenant T --role R ...]`` and ``okr token revoke TOKEN``."""
    token = commands.add_parser(
        "token",
        help="print an HTTP bearer token (signed with OKR_AUTH_SECRET or the data dir's), "
        "or revoke one",
    )
    token.add_argument("--tenant", help="the tenant the token is for (required to issue)")
    token.add_argument("--role", choices=[r.value for r in Role], help="required to issue")
    token.add_argument("--subject", default="okr-cli", help="who holds it (the actor)")
    token.add_argument(
        "--days",
        type=_days,
        default=DEFAULT_LIFETIME.days,
        help=f"validity in days (default {DEFAULT_LIFETIME.days}; at most OKR_TOKEN_MAX_DAYS)",
    )
    steps = token.add_subparsers(dest="token_command")
    revoke = steps.add_parser(
        "revoke", help="revoke one token on every instance (effective within seconds)"
    )
    revoke.add_argument("token", help="the token to revoke; '-' reads it from stdin")


def _days(text: str) -> float:
    try:
        days = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days") from None
    if not math.isfinite(days) or not 0 < days <= LONGEST_MAX_LIFETIME.days:
        raise argparse.ArgumentTypeError(
            f"days is a number above 0 and at most {LONGEST_MAX_LIFETIME.days} (got {text})"
        )
    return days


async def run_tokens(args: argparse.Namespace, settings: Settings) -> int:
    """Issue a token, or revoke the given one; ValueError for a token it cannot sign."""
    if args.token_command == "revoke":
        return await _revoke(args.token, settings)
    if args.tenant is None or args.role is None:
        raise ValueError("--tenant and --role are required to issue a token")
    valid_for = timedelta(days=args.days)
    authority = token_authority(settings)
    print(authority.issue(args.tenant, Role(args.role), args.subject, now_utc(), valid_for))
    return 0


async def _revoke(token: str, settings: Settings) -> int:
    if token == "-":
        token = sys.stdin.read().strip()
    try:
        token_id = token_authority(settings).token_id(token)
    except InvalidToken as exc:
        print(f"okr token revoke: {exc}", file=sys.stderr)
        return 2
    if token_id.expires_at <= now_utc():
        print(
            f"token {token_id.jti} expired at {token_id.expires_at:%Y-%m-%dT%H:%M:%SZ}: "
            "nothing to revoke"
        )
        return 0
    async with resolve_servers(settings) as (nats_url, _):
        nc = await nats.connect(nats_url)
        try:
            revoked = await open_revocations(nc, settings)
            await revoked.revoke(token_id.jti, token_id.expires_at)
        finally:
            await nc.close()
    print(
        f"revoked token {token_id.jti} (it would have expired at "
        f"{token_id.expires_at:%Y-%m-%dT%H:%M:%SZ})"
    )
    return 0
