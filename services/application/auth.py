"""Who may do what: roles, their permissions, and the bearer tokens that carry them.

A token names one tenant and one role; it is an HS256 JWT signed with the deployment's
secret (``OKR_AUTH_SECRET``, else a secret kept in the data dir). Checks here are pure
apart from PyJWT reading the clock for ``exp``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

import jwt

from events.subjects import TOKEN_PATTERN, is_token
from services.adapters.auth_secret import MIN_SECRET_BYTES
from services.application.untrusted_json import storable

ALGORITHM: Final = "HS256"
ISSUER: Final = "okr-ledger"
MAX_SUBJECT_CHARS: Final = 200  # the subject is recorded as the actor, which holds this many


class Role(StrEnum):
    """What a token's holder is."""

    ADMIN = "admin"
    MEMBER = "member"
    AUDITOR = "auditor"
    INTEGRATION = "integration"


class Permission(StrEnum):
    """What an endpoint needs."""

    COMMAND = "command"  # change goals: create, align, check in, adjust, close
    REPORT_PROGRESS = "report_progress"  # push integration progress, read its dead letters
    READ = "read"  # scores, cascade, check-in history, adjustment log
    AUDIT = "audit"  # point-in-time reports, verification, consistency checks
    CONFIGURE = "configure"  # change the tenant's settings (scoring policy, cadence, hygiene)


ROLE_PERMISSIONS: Final[dict[Role, frozenset[Permission]]] = {
    Role.ADMIN: frozenset(Permission),
    Role.MEMBER: frozenset({Permission.COMMAND, Permission.READ}),
    # Auditors read and replay; they change nothing.
    Role.AUDITOR: frozenset({Permission.READ, Permission.AUDIT}),
    # An integration only reports progress: a leaked connector token cannot rewrite goals.
    Role.INTEGRATION: frozenset({Permission.REPORT_PROGRESS}),
}


class InvalidToken(Exception):
    """The token is missing, malformed, forged, expired or names no known role."""


@dataclass(frozen=True)
class Principal:
    """The holder of a verified token."""

    tenant: str
    role: Role
    subject: str

    def may(self, permission: Permission) -> bool:
        """Whether this principal's role grants ``permission``."""
        return permission in ROLE_PERMISSIONS[self.role]


def subject_problem(subject: str) -> str | None:
    """Why ``subject`` cannot stand as an actor (empty, too long, unstorable), or None."""
    if not 0 < len(subject) <= MAX_SUBJECT_CHARS:
        return f"the token's subject has 1 to {MAX_SUBJECT_CHARS} characters"
    try:
        storable(subject)
    except ValueError as exc:
        return f"the token's subject: {exc}"
    return None


class TokenAuthority:
    """Issues and verifies the deployment's tokens."""

    def __init__(self, secret: str) -> None:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"the token secret needs at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret

    def issue(
        self,
        tenant: str,
        role: Role,
        subject: str,
        issued_at: datetime,
        valid_for: timedelta | None = None,
    ) -> str:
        """A signed token for ``subject`` as ``role`` in ``tenant``."""
        if not is_token(tenant):
            raise ValueError(f"tenant {tenant!r} must match {TOKEN_PATTERN}")
        problem = subject_problem(subject)
        if problem is not None:
            raise ValueError(problem)
        claims: dict[str, object] = {
            "iss": ISSUER,
            "sub": subject,
            "tenant": tenant,
            "role": role.value,
            "iat": int(issued_at.timestamp()),
        }
        if valid_for is not None:
            claims["exp"] = int((issued_at + valid_for).timestamp())
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> Principal:
        """The principal ``token`` names; raises InvalidToken."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],  # pinned: never let the token choose ("alg": "none")
                issuer=ISSUER,
                options={"require": ["sub", "iat", "iss"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from None
        tenant, role = claims.get("tenant"), claims.get("role")
        if not isinstance(tenant, str) or not is_token(tenant):
            raise InvalidToken("the token names no valid tenant")
        problem = subject_problem(str(claims["sub"]))
        if problem is not None:
            raise InvalidToken(problem)
        try:
            return Principal(tenant=tenant, role=Role(str(role)), subject=str(claims["sub"]))
        except ValueError:
            raise InvalidToken(f"the token names no known role ({role!r})") from None
