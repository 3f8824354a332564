"""Query parameters held to the edge's rules: storable, bounded text; instants in the window.

A value PostgreSQL or NATS cannot take (NUL in a text parameter, a sequence past 64 bits)
gets a 422 here instead of a 500 from the database or the client library.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Final

from fastapi import HTTPException, Path, Query
from pydantic import AfterValidator, BeforeValidator

from events.subjects import TOKEN_PATTERN
from services.application.untrusted_json import storable
from services.domain.bounds import zoned_instant_in_window

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


_NUMBER = re.compile(r"[+-]?\d+(\.\d*)?")
_DECODED_PLUS = re.compile(r".*T[\d:.]+ \d\d:?\d\d")  # "+01:00" sent unencoded reads " 01:00"


def _an_instant_as_text(value: object) -> object:
    """Refuse what pydantic would take for an instant but a caller did not mean as one."""
    if not isinstance(value, str):
        return value
    if _NUMBER.fullmatch(value.strip()):
        raise ValueError("an instant is ISO 8601 with a zone (2026-11-15T00:00:00Z), not a number")
    if _DECODED_PLUS.fullmatch(value):
        raise ValueError(
            "a '+' in a query string reads as a space: send the offset as %2B01:00, or use Z"
        )
    return value


InstantText = Annotated[datetime, BeforeValidator(_an_instant_as_text)]


def check_as_of(as_of: datetime | None) -> None:
    """422 unless ``as_of`` is omitted or a zone-aware instant inside the window."""
    if as_of is None:
        return
    try:
        zoned_instant_in_window(as_of)
    except ValueError as exc:
        raise HTTPException(422, f"as_of: {exc}") from None
