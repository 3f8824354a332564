"""Bearer tokens: every one expires within the deployment's limit, carries an id it can be
revoked by, and is refused in the service's words, not the JWT library's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from services.application.auth import (
    ALGORITHM,
    ISSUER,
    InvalidToken,
    Permission,
    Role,
    TokenAuthority,
)

SECRET = "unit-test-secret-of-at-least-thirty-two-bytes"
NOW = datetime.now(UTC)


def minted(**claims: object) -> str:
    """A token signed with the deployment's secret, with exactly ``claims`` over a base."""
    base: dict[str, object] = {
        "iss": ISSUER,
        "sub": "ana",
        "tenant": "acme",
        "role": "member",
        "iat": int(NOW.timestamp()),
        "exp": int((NOW + timedelta(hours=1)).timestamp()),
        "jti": "j1",
    }
    base.update(claims)
    return jwt.encode({k: v for k, v in base.items() if v is not None}, SECRET, ALGORITHM)


def refusal(authority: TokenAuthority, token: str) -> str:
    with pytest.raises(InvalidToken) as refused:
        authority.verify(token)
    return str(refused.value)


def test_an_issued_token_expires_and_names_its_id() -> None:
    authority = TokenAuthority(SECRET)
    token = authority.issue("acme", Role.MEMBER, "ana", NOW, timedelta(days=2))

    claims = jwt.decode(token, SECRET, [ALGORITHM], issuer=ISSUER)
    assert claims["exp"] - claims["iat"] == 2 * 86_400
    assert authority.token_id(token).jti == claims["jti"]
    assert authority.verify(token).subject == "ana"


def test_two_tokens_for_the_same_holder_have_different_ids() -> None:
    authority = TokenAuthority(SECRET)
    first, second = (authority.issue("acme", Role.MEMBER, "ana", NOW) for _ in range(2))
    assert authority.token_id(first).jti != authority.token_id(second).jti


@pytest.mark.parametrize("days", [0, -1, 91])
def test_a_lifetime_outside_the_limit_is_not_issued(days: int) -> None:
    with pytest.raises(ValueError, match=r"lifetime must be positive|at most 90 days"):
        TokenAuthority(SECRET).issue("acme", Role.MEMBER, "ana", NOW, timedelta(days=days))


@pytest.mark.parametrize(
    ("claims", "said"),
    [
        ({"exp": None}, "lacks its 'exp' claim"),
        ({"jti": None}, "lacks its 'jti' claim"),
        ({"exp": int((NOW - timedelta(hours=2)).timestamp())}, "has expired"),
        ({"iss": "someone-else"}, "not issued by okr-ledger"),
        ({"exp": int((NOW + timedelta(days=400)).timestamp())}, "longer than this deployment"),
        ({"role": "root"}, "no known role"),
    ],
)
def test_a_token_is_refused_in_words_that_say_what_is_wrong(
    claims: dict[str, object], said: str
) -> None:
    assert said in refusal(TokenAuthority(SECRET), minted(**claims))


def test_a_forged_or_garbled_token_is_refused_without_the_librarys_words() -> None:
    authority = TokenAuthority(SECRET)
    forged = jwt.encode({"sub": "x"}, "another-secret-of-at-least-thirty-two-bytes", ALGORITHM)

    assert refusal(authority, forged) == "the token is not signed with this deployment's secret"
    assert refusal(authority, "not-a-token") == "the token is not a well-formed JWT"


def test_a_revoked_token_is_refused_and_another_is_not() -> None:
    authority = TokenAuthority(SECRET, revoked={"j1"})

    assert refusal(authority, minted(jti="j1")) == "the token has been revoked"
    assert authority.verify(minted(jti="j2")).tenant == "acme"


def test_a_tenant_admin_has_no_say_over_the_deployment() -> None:
    authority = TokenAuthority(SECRET)
    admin = authority.verify(minted(role="admin"))
    operator = authority.verify(minted(role="operator"))

    assert not admin.may(Permission.OPERATE)
    assert operator.may(Permission.OPERATE)
    assert not operator.may(Permission.READ)
