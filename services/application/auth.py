"""Who may do what: roles, their permissions, and the bearer tokens that carry them.

A token names one tenant and one role; it is an HS256 JWT signed with the deployment's
secret (``OKR_AUTH_SECRET``, else a secret kept in the data dir). Every token expires
(``exp``, at most ``max_lifetime`` after ``iat``) and carries an id (``jti``) by which it
can be revoked alone. Checks here are pure apart from PyJWT reading the clock for ``exp``.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Container
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Final

import jwt

from events.subjects import TOKEN_PATTERN, is_token
from services.adapters.auth_secret import MIN_SECRET_BYTES
from services.application.untrusted_json import storable

ALGORITHM: Final = "HS256"
ISSUER: Final = "okr-ledger"
MAX_SUBJECT_CHARS: Final = 200  # the subject is recorded as the actor, which holds this many
DEFAULT_MAX_LIFETIME: Final = timedelta(days=90)
DEFAULT_LIFETIME: Final = timedelta(days=30)
LONGEST_MAX_LIFETIME: Final = timedelta(days=3660)  # ten years: past it date arithmetic overflows
_CLOCK_LEEWAY_S: Final = 60  # a token minted on a host whose clock runs a little ahead


class Role(StrEnum):
    """What a token's holder is."""

    ADMIN = "admin"
    MEMBER = "member"
    AUDITOR = "auditor"
    INTEGRATION = "integration"
    # The deployment's operators: stream-wide operational views, no tenant's goals.
    OPERATOR = "operator"


class Permission(StrEnum):
    """What an endpoint needs."""

    COMMAND = "command"  # change goals: create, align, check in, adjust, close
    REPORT_PROGRESS = "report_progress"  # push integration progress, read its dead letters
    READ = "read"  # scores, cascade, check-in history, adjustment log
    AUDIT = "audit"  # point-in-time reports, verification, consistency checks
    ERASE = "erase_data_subject"  # forget a person: only a tenant's admin
    OPERATE = "operate"  # the whole deployment's lag and parked tenants
    CONFIGURE = "configure"  # change the tenant's settings (scoring policy, cadence, hygiene)


ROLE_PERMISSIONS: Final[dict[Role, frozenset[Permission]]] = {
    # A tenant's admin: everything within the tenant, nothing of the deployment's.
    Role.ADMIN: frozenset(Permission) - {Permission.OPERATE},
    Role.MEMBER: frozenset({Permission.COMMAND, Permission.READ}),
    # Auditors read and replay; they change nothing.
    Role.AUDITOR: frozenset({Permission.READ, Permission.AUDIT}),
    # An integration only reports progress: a leaked connector token cannot rewrite goals.
    Role.INTEGRATION: frozenset({Permission.REPORT_PROGRESS}),
    Role.OPERATOR: frozenset({Permission.OPERATE}),
}



class InvalidToken(Exception):
    """The token is missing, malformed, forged, expired, revoked or names no known role."""


# What a caller is told for each way PyJWT refuses a token: the fault in our words, never
# the library's (its messages name its internals and change between releases).
_JWT_REFUSALS: Final[tuple[tuple[type[jwt.PyJWTError], str], ...]] = (
    (jwt.ExpiredSignatureError, "the token has expired; ask for a new one"),
    (jwt.ImmatureSignatureError, "the token is not valid yet (its iat or nbf lies ahead)"),
    (jwt.InvalidIssuedAtError, "the token's iat claim is not a time"),
    (jwt.InvalidSignatureError, "the token is not signed with this deployment's secret"),
    (jwt.InvalidIssuerError, "the token was not issued by okr-ledger"),
    (jwt.InvalidAlgorithmError, f"the token is not signed with {ALGORITHM}"),
    (jwt.DecodeError, "the token is not a well-formed JWT"),
)


def _refusal(exc: jwt.PyJWTError) -> str:
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"the token lacks its {exc.claim!r} claim (tokens from `okr token` carry it)"
    for kind, message in _JWT_REFUSALS:
        if isinstance(exc, kind):
            return message
    return "the token's claims are not valid"


def _seconds(claim: object) -> float:
    # PyJWT has checked exp and iat are numbers; anything else is a token we did not sign.
    if isinstance(claim, bool) or not isinstance(claim, int | float):
        raise InvalidToken("the token's times are not numbers")
    return float(claim)


def lifetime_problem(valid_for: timedelta, max_lifetime: timedelta) -> str | None:
    """Why a token cannot live ``valid_for`` (not positive, past the maximum), or None."""
    seconds = valid_for.total_seconds()
    if not math.isfinite(seconds) or seconds <= 0:
        return "a token's lifetime must be positive"
    if valid_for > max_lifetime:
        return f"a token lives at most {max_lifetime.days} days (OKR_TOKEN_MAX_DAYS)"
    return None


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


@dataclass(frozen=True)
class TokenId:
    """What revoking a token needs: its id, and until when a revocation must be kept."""

    jti: str
    expires_at: datetime


class TokenAuthority:
    """Issues and verifies the deployment's tokens."""

    def __init__(
        self,
        secret: str,
        max_lifetime: timedelta = DEFAULT_MAX_LIFETIME,
        revoked: Container[str] = frozenset(),
    ) -> None:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"the token secret needs at least {MIN_SECRET_BYTES} bytes")
        if not timedelta(0) < max_lifetime <= LONGEST_MAX_LIFETIME:
            longest = LONGEST_MAX_LIFETIME.days
            raise ValueError(f"the longest token lifetime lies within {longest} days")
        self._secret = secret
        self._max_lifetime = max_lifetime
        self._revoked = revoked

    @property
    def max_lifetime(self) -> timedelta:
        """The longest a token may live."""
        return self._max_lifetime

    def issue(
        self,
        tenant: str,
        role: Role,
        subject: str,
        issued_at: datetime,
        valid_for: timedelta = DEFAULT_LIFETIME,
    ) -> str:
        """A signed token for ``subject`` as ``role`` in ``tenant``, expiring ``valid_for``
        after ``issued_at``."""
        if not is_token(tenant):
            raise ValueError(f"tenant {tenant!r} must match {TOKEN_PATTERN}")
        problem = subject_problem(subject) or lifetime_problem(valid_for, self._max_lifetime)
        if problem is not None:
            raise ValueError(problem)
        claims: dict[str, object] = {
            "iss": ISSUER,
            "sub": subject,
            "tenant": tenant,
            "role": role.value,
            "iat": int(issued_at.timestamp()),
            "exp": int((issued_at + valid_for).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def token_id(self, token: str) -> TokenId:
        """The id and expiry of a token this deployment signed (expired or not)."""
        claims = self._claims(token, verify_exp=False)
        return TokenId(str(claims["jti"]), datetime.fromtimestamp(_seconds(claims["exp"]), UTC))

    def _claims(self, token: str, verify_exp: bool = True) -> dict[str, object]:
        try:
            claims: dict[str, object] = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],  # pinned: never let the token choose ("alg": "none")
                issuer=ISSUER,
                leeway=_CLOCK_LEEWAY_S,
                options={"require": ["sub", "iat", "iss", "exp", "jti"], "verify_exp": verify_exp},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(_refusal(exc)) from None
        return claims

    def verify(self, token: str) -> Principal:
        """The principal ``token`` names; raises InvalidToken."""
        claims = self._claims(token)
        lifetime = _seconds(claims["exp"]) - _seconds(claims["iat"])
        if lifetime > self._max_lifetime.total_seconds() + _CLOCK_LEEWAY_S:
            days = self._max_lifetime.days
            raise InvalidToken(f"the token lives longer than this deployment allows ({days} days)")
        if str(claims["jti"]) in self._revoked:
            raise InvalidToken("the token has been revoked")
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
