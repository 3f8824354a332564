"""Query parameters held to the edge's rules: storable, bounded text; instants in the window.

A value PostgreSQL or NATS cannot take (NUL in a text parameter, a sequence past 64 bits)
gets a 422 here instead of a 500 from the database or the client library; each rule is
also in the OpenAPI document, so what the document admits the API accepts.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Final

from fastapi import Path, Query
from pydantic import AfterValidator, BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from events.subjects import TOKEN_PATTERN
from projections.read_models.cascade import DEFAULT_LIMIT, MAX_DEPTH, MAX_LIMIT
from projections.read_models.cascade_cursor import MAX_CURSOR, CursorError, decode
from services.application.untrusted_json import storable
from services.domain.bounds import EARLIEST_DATE, LATEST_DATE

TenantId = Annotated[str, Path(pattern=TOKEN_PATTERN, description="tenant token")]
MAX_QUERY_TEXT: Final = 200  # the longest free text a query matches: an actor
MAX_STREAM_SEQUENCE: Final = 2**63 - 2  # one more still fits the server's signed sequences

# PostgreSQL text holds no NUL, UTF-8 no lone surrogate: the document says so as well.
STORABLE_TEXT_PATTERN: Final = r"^[^\x00\ud800-\udfff]*$"
ActorQuery = Annotated[
    Annotated[str, AfterValidator(storable)] | None,
    Query(max_length=MAX_QUERY_TEXT, description="who made the change"),
    # The schema of the value a client can send (a query has no null), with its rules.
    WithJsonSchema(
        {"type": "string", "maxLength": MAX_QUERY_TEXT, "pattern": STORABLE_TEXT_PATTERN}
    ),
]
AfterSequence = Annotated[
    int, Query(ge=0, le=MAX_STREAM_SEQUENCE, description="stream sequence to read after")
]

CascadeLimit = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"nodes a page holds, default {DEFAULT_LIMIT}")
]
CascadeDepth = Annotated[
    int | None,
    Query(ge=0, le=MAX_DEPTH, description="deepest level shown (0: the goal alone); default all"),
    WithJsonSchema({"type": "integer", "minimum": 0, "maximum": MAX_DEPTH}),
]
CURSOR_PATTERN: Final = r"^[A-Za-z0-9_-]+$"  # base64url without padding


def _a_cursor(value: str) -> str:
    """The text if it is a cursor a previous page gave out; else why not."""
    try:
        decode(value)
    except CursorError as exc:
        raise PydanticCustomError("invalid_cursor", str(exc)) from None
    return value


CascadeCursor = Annotated[
    Annotated[str, AfterValidator(_a_cursor)] | None,
    Query(
        max_length=MAX_CURSOR,
        pattern=CURSOR_PATTERN,
        description="a previous page's `next`, as it was given; none for the first page",
    ),
    WithJsonSchema({"type": "string", "maxLength": MAX_CURSOR, "pattern": CURSOR_PATTERN}),
]


# An instant in a query, as the OpenAPI document states it: RFC 3339 with a zone, its year
# as written within the window (its UTC value may fall a few hours outside: a query
# instant is compared, never stored).
INSTANT_PATTERN: Final = (
    r"^(19[7-9][0-9]|20[0-9][0-9]|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
    r"(Z|z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
_INSTANT = re.compile(INSTANT_PATTERN)
_NUMBER = re.compile(r"[+-]?\d+(\.\d*)?")
_DECODED_PLUS = re.compile(r".*T[\d:.]+ \d\d:?\d\d")  # "+01:00" sent unencoded reads " 01:00"
_EXAMPLE: Final = "2026-11-15T00:00:00Z"


def _an_instant_as_text(value: object) -> object:
    """The query's text if it is an instant as documented; else why not, with a hint that
    can be sent as it is."""
    if not isinstance(value, str):
        raise PydanticCustomError("invalid_instant", f"an instant is text, e.g. {_EXAMPLE}")
    if _NUMBER.fullmatch(value.strip()):
        raise PydanticCustomError(
            "invalid_instant", f"an instant is RFC 3339 with a zone ({_EXAMPLE}), not a number"
        )
    if _DECODED_PLUS.fullmatch(value):
        fixed = f"{value[:-6]}%2B{value[-5:]}" if value[-6] == " " else value
        raise PydanticCustomError(
            "unencoded_plus",
            f"{value!r} has a space where its zone's '+' was: in a URL query '+' means a "
            f"space, so send it encoded ({fixed}) or in UTC with Z",
        )
    if not _INSTANT.fullmatch(value):
        raise PydanticCustomError(
            "invalid_instant",
            f"an instant is RFC 3339 with a zone, in the years {EARLIEST_DATE.year} to "
            f"{LATEST_DATE.year}: {_EXAMPLE}, or {value[:10]}T00:00:00Z for a day's start",
        )
    return value


InstantText = Annotated[
    datetime,
    BeforeValidator(_an_instant_as_text),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": INSTANT_PATTERN}),
]
