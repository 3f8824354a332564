"""Reading a request body nobody vouches for: bounded JSON, and text the store can hold.

Pure: no I/O. Commands and progress reports go through here before their contract
models, so a hostile body gets a typed refusal instead of a crash, and no string that
PostgreSQL or a JSON encoder cannot hold (NUL, lone surrogates) reaches an event.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, Final

from services.domain.errors import Violation

# Deeper than any contract model nests (a batch of reports, a key result's milestones).
MAX_JSON_DEPTH: Final = 32
# Enough for any 64-bit integer; longer literals only serve to make int() slow.
MAX_INTEGER_DIGITS: Final = 20
UNSTORABLE_TEXT: Final = "unstorable_text"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class UnreadableJson(ValueError):
    """The body is not UTF-8 JSON within the limits (depth, integer length)."""


def _bounded_int(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise UnreadableJson(f"an integer has more than {MAX_INTEGER_DIGITS} digits")
    return int(literal)


def read_json(body: bytes) -> Any:
    """The JSON value of ``body``; raises UnreadableJson with a reason a caller can act on.

    Lone surrogate escapes (``"\\ud800"``) are read, so that the text rule can name the
    field that holds one; NaN and Infinity are read, so that a finite-number field can.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableJson(f"not UTF-8: {exc.reason} at byte {exc.start}") from None
    try:
        data = json.loads(text, parse_int=_bounded_int)
    except RecursionError:
        raise UnreadableJson(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    except UnreadableJson:
        raise
    except ValueError as exc:
        raise UnreadableJson(f"not JSON: {exc}") from None
    # No deeper than the brackets it opens: most bodies need no walk to know.
    openers = body.count(b"{") + body.count(b"[")
    if openers > MAX_JSON_DEPTH and _depth(data) > MAX_JSON_DEPTH:
        raise UnreadableJson(f"nested deeper than {MAX_JSON_DEPTH} levels")
    return data


def _depth(data: Any) -> int:
    deepest, pending = 0, [(data, 1)]
    while pending:
        value, level = pending.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, level)
        pending.extend((child, level + 1) for child in children)
    return deepest


def storable(text: str) -> str:
    """``text`` if the store can hold it (no NUL, no lone surrogate), else ValueError."""
    if _UNSTORABLE.search(text) is not None:
        raise ValueError("text must not contain NUL or a lone surrogate; it cannot be stored")
    return text


def printable(text: str) -> str:
    """``text`` with NUL and lone surrogates escaped, safe to echo back in a reply."""
    return _UNSTORABLE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def may_hold_unstorable(body: bytes) -> bool:
    """Whether the JSON ``body`` can hold NUL or a lone surrogate once read: only through a
    ``\\u`` escape, since read_json refuses raw control characters and strict UTF-8 has no
    surrogates."""
    return b"\\u" in body


def unstorable_text(data: Any, path: tuple[str, ...] = ()) -> tuple[Violation, ...]:
    """One Violation per string (key or value) holding NUL or a lone surrogate, by path."""
    return tuple(_unstorable(data, path))


def _unstorable(data: Any, path: tuple[str, ...]) -> Iterator[Violation]:
    if isinstance(data, str):
        found = _UNSTORABLE.search(data)
        if found is not None:
            what = "NUL (U+0000)" if found[0] == "\x00" else "a lone surrogate (U+D800..U+DFFF)"
            yield Violation(
                criterion=".".join(path) or "body",
                code=UNSTORABLE_TEXT,
                message=f"text must not contain {what}; it cannot be stored",
            )
    elif isinstance(data, dict):
        for key, value in data.items():
            name = printable(str(key))
            if name != key:
                yield Violation(
                    criterion=".".join((*path, name)),
                    code=UNSTORABLE_TEXT,
                    message="a field name must not contain NUL or a lone surrogate",
                )
            yield from _unstorable(value, (*path, name))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from _unstorable(item, (*path, str(index)))
