"""The cascade page cursor: an opaque token holding a place in one tenant's tree.

It carries data only (the query it continues and the last node's position), read back
through strict shapes and patterns and bound as query parameters: text a client forges
into it can name another place in the same tree at most, never run as SQL or reach
another tenant's nodes (a cursor is refused on any query but its own).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Final

from events.subjects import TOKEN_PATTERN
from projections.read_models.cascade import MAX_DEPTH, Position, Step
from projections.read_models.goals import GoalRef

MAX_CURSOR: Final = 8192  # characters: MAX_DEPTH steps of three tokens, encoded
_TOKEN: Final = re.compile(TOKEN_PATTERN)  # tenants, goals and KRs are all tokens
_TYPES: Final = ("objective", "smart_goal")
_VERSION: Final = 1


class CursorError(ValueError):
    """Not a cursor this API gave out, or one given for another query."""


@dataclass(frozen=True)
class Cursor:
    """Where a page ended, and the query it belongs to."""

    tenant: str
    root: GoalRef
    depth: int | None
    position: Position

    def encode(self) -> str:
        """The opaque text a client passes back as ``?cursor=``."""
        steps = [list(s) for s in self.position]
        body = [_VERSION, self.tenant, list(self.root), self.depth, steps]
        text = json.dumps(body, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(text).decode().rstrip("=")

    def continues(self, tenant: str, root: GoalRef, depth: int | None) -> None:
        """Refuse the cursor unless it was given for this tenant, goal and depth."""
        if (self.tenant, self.root, self.depth) != (tenant, root, depth):
            raise CursorError("the cursor belongs to another query (tenant, goal or depth)")


def _token(value: object, kr: bool = False) -> str:
    if not isinstance(value, str) or not (_TOKEN.fullmatch(value) or (kr and value == "")):
        raise CursorError("not a cursor this API gave out")
    return value


def _ref(value: object) -> GoalRef:
    if not isinstance(value, list) or len(value) != 2 or value[0] not in _TYPES:
        raise CursorError("not a cursor this API gave out")
    return (value[0], _token(value[1]))


def _step(value: object) -> Step:
    if not isinstance(value, list) or len(value) != 3:
        raise CursorError("not a cursor this API gave out")
    kind, goal = _ref(value[:2])
    return (kind, goal, _token(value[2], kr=True))


def decode(text: str) -> Cursor:
    """The cursor ``text`` encodes; CursorError if it is not one this API gave out."""
    if len(text) > MAX_CURSOR:
        raise CursorError(f"a cursor is at most {MAX_CURSOR} characters")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        body = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise CursorError("not a cursor this API gave out") from exc
    if not isinstance(body, list) or len(body) != 5 or body[0] != _VERSION:
        raise CursorError("not a cursor this API gave out")
    _, tenant, root, depth, steps = body
    depth_ok = depth is None or (type(depth) is int and 0 <= depth <= MAX_DEPTH)
    if not depth_ok or not isinstance(steps, list) or len(steps) > MAX_DEPTH:
        raise CursorError("not a cursor this API gave out")
    return Cursor(_token(tenant), _ref(root), depth, tuple(_step(s) for s in steps))
