"""Query parameters held to the edge's rules: storable, bounded text; instants in the window.

A value PostgreSQL or NATS cannot take (NUL in a text parameter, a sequence past 64 bits)
gets a 422 here instead of a 500 from the database or the client library.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Final

from fastapi import HTTPException, Path, Query
from pydantic import AfterValidator

from events.subjects import TOKEN_PATTERN
from services.application.untrusted_json import storable
from services.domain.bounds import zoned_instant_in_window
from services.domain.errors import ErrorCode, Violation
from services.domain.replies import ErrorBody

TenantId = Annotated[str, Path(pattern=TOKEN_PATTERN, description="tenant token")]
MAX_QUERY_TEXT: Final = 200  # the longest free text a query matches: an actor
MAX_STREAM_SEQUENCE: Final = 2**63 - 2  # one more still fits the server's signed sequences

StorableText = Annotated[str, AfterValidator(storable)]
ActorQuery = Annotated[
    StorableText | None, Query(max_length=MAX_QUERY_TEXT, description="who made the change")
]
AfterSequence = Annotated[
    int, Query(ge=0, le=MAX_STREAM_SEQUENCE, description="stream sequence to read after")
]


def check_as_of(as_of: datetime | None) -> None:
    """422 unless ``as_of`` is omitted or a zone-aware instant inside the window."""
    if as_of is None:
        return
    try:
        zoned_instant_in_window(as_of)
    except ValueError as exc:
        raise HTTPException(422, f"as_of: {exc}") from None


# "…T00:00:00 00:00": what a zone's "+" becomes when a URL query carries it unencoded.
_PLUS_AS_SPACE = re.compile(r"\d \d{2}:?\d{2}$")


def _refuse(name: str, code: str, message: str) -> HTTPException:
    body = ErrorBody(
        code=ErrorCode.MALFORMED_REQUEST,
        message=f"{name}: {message}",
        violations=(Violation(criterion=name, code=code, message=message),),
        retryable=False,
    )
    return HTTPException(422, body.model_dump(mode="json"))


def instant_query(name: str, text: str | None) -> datetime | None:
    """The instant a query parameter names, or a typed 422 whose hint can be sent as is."""
    if text is None:
        return None
    if _PLUS_AS_SPACE.search(text):
        fixed = text[:-6] + "%2B" + text[-5:] if text[-6] == " " else text
        raise _refuse(
            name,
            "unencoded_plus",
            f"{text!r} has a space where its zone's '+' was: in a URL query '+' means a "
            f"space, so send it encoded ({name}={fixed}) or in UTC with Z",
        )
    try:
        return zoned_instant_in_window(datetime.fromisoformat(text))
    except ValueError as exc:
        raise _refuse(
            name, "invalid_instant", f"{text!r}: {exc} (ISO 8601, e.g. 2026-11-15T00:00:00Z)"
        ) from None
