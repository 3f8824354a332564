"""Which payload fields are personal data, and how they are sealed and opened in stored JSON.

A field is marked in its model with ``personal()`` (always personal: notes, reasons,
descriptions) or ``personal_when_individual()`` (personal on an individual-level goal:
titles and statements). The marker shows in the JSON Schemas as ``x-personal-data``.
Models hold plaintext; only the stored JSON holds sealed fields (``events.sealed_field``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from pydantic import BaseModel, Field

from events.sealed_field import is_sealed, kid_of, open_text, seal_text
from events.values import Level

PERSONAL_KEY: Final = "x-personal-data"
ALWAYS: Final = "always"
INDIVIDUAL: Final = "individual-goal"
ERASED: Final = "[erased]"  # a field whose subject's key was destroyed
ENCRYPTED: Final = "[encrypted]"  # a field this reader was given no keys to open
SEALED_MARK: Final = b'"enc":"aes-256-gcm"'
_KID_IN_BODY = re.compile(rb'"kid":"(k_[0-9a-f]{32})"')

Path = tuple[str, ...]
PersonalPath = tuple[Path, str]  # where, and ALWAYS or INDIVIDUAL


def personal(**field: Any) -> Any:
    """A pydantic Field that is personal data wherever it appears."""
    return Field(json_schema_extra={PERSONAL_KEY: ALWAYS}, **field)


def personal_when_individual(**field: Any) -> Any:
    """A pydantic Field that is personal data on an individual-level goal."""
    return Field(json_schema_extra={PERSONAL_KEY: INDIVIDUAL}, **field)


def personal_paths(model: type[BaseModel], prefix: Path = ()) -> tuple[PersonalPath, ...]:
    """Every marked field of ``model``, nested models included, as paths into its JSON."""
    found: list[PersonalPath] = []
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra
        if isinstance(extra, dict) and PERSONAL_KEY in extra:
            found.append(((*prefix, name), str(extra[PERSONAL_KEY])))
        elif isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            found.extend(personal_paths(info.annotation, (*prefix, name)))
    return tuple(found)


def data_subject_of(level: Level | str, owner: str, actor: str) -> tuple[str, bool]:
    """Whose key seals an event's personal fields, and whether the goal is individual.

    An individual-level goal's texts are about its owner: all of them are the owner's.
    On a team or company goal only what a person wrote (notes, reasons) is personal, and
    it is its author's, the event's actor.
    """
    individual = Level(level) is Level.INDIVIDUAL
    return (owner if individual else actor), individual


@dataclass(frozen=True)
class SubjectKey:
    """A data subject's current key, as the write side seals with it."""

    tenant_id: str
    subject_id: str
    kid: str
    key: bytes = field(repr=False)


@dataclass(frozen=True)
class Sealing:
    """How one event's personal fields are sealed: under which key, and whether the goal is
    individual (its titles and statements are personal too)."""

    key: SubjectKey
    individual: bool


class KeyLookup(Protocol):
    """What a reader needs to open sealed fields: a key by id, None once destroyed."""

    def key(self, tenant_id: str, kid: str) -> bytes | None:
        """The key ``kid`` of ``tenant_id``, or None if it does not exist (any more)."""
        ...


class KeyRing(KeyLookup, Protocol):
    """A KeyLookup that loads the keys a batch of stored events names, ahead of decoding."""

    async def prefetch(self, kids: Iterable[str]) -> None:
        """Make ``key`` answer for each of ``kids`` without I/O."""
        ...


def kids_in(body: bytes) -> set[str]:
    """The key ids a stored body's sealed fields name (cheap: no JSON parse)."""
    return {m.decode() for m in _KID_IN_BODY.findall(body)} if SEALED_MARK in body else set()


def _rewrite(payload: Any, path: Path, change: Callable[[Any], Any]) -> None:
    node = payload
    for name in path[:-1]:
        node = node.get(name) if isinstance(node, dict) else None
    if isinstance(node, dict) and path[-1] in node:
        node[path[-1]] = change(node[path[-1]])


def _value_at(payload: Any, path: Path) -> Any:
    node = payload
    for name in path:
        node = node.get(name) if isinstance(node, dict) else None
    return node


def has_personal_text(
    payload: dict[str, Any], paths: Iterable[PersonalPath], individual: bool
) -> bool:
    """Whether a field that is personal here holds a non-empty text (so needs a key)."""
    return any(
        isinstance(value, str) and value != ""
        for path, when in paths
        if when == ALWAYS or individual
        for value in (_value_at(payload, path),)
    )


def seal_payload(
    payload: dict[str, Any], paths: Iterable[PersonalPath], sealing: Sealing
) -> dict[str, Any]:
    """``payload`` (JSON, changed in place) with its personal, non-empty texts sealed."""
    k = sealing.key

    def seal(value: Any) -> Any:
        if isinstance(value, str) and value:
            return seal_text(value, k.tenant_id, k.kid, k.key)
        return value

    for path, when in paths:
        if when == ALWAYS or sealing.individual:
            _rewrite(payload, path, seal)
    return payload


def open_value(value: Any, tenant_id: str, keys: KeyLookup | None) -> Any:
    """One stored personal field opened: its plaintext, ``ERASED`` once its key is
    destroyed, ``ENCRYPTED`` for a reader without keys; any other value as it is."""
    if not is_sealed(value):
        return value  # plaintext stored before fields were sealed, or empty
    if keys is None:
        return ENCRYPTED
    key = keys.key(tenant_id, kid_of(value))
    return ERASED if key is None else open_text(value, tenant_id, key)


def open_payload(
    payload: dict[str, Any],
    paths: Iterable[PersonalPath],
    tenant_id: str,
    keys: KeyLookup | None,
) -> dict[str, Any]:
    """``payload`` (JSON, changed in place) with each sealed field opened (``open_value``)."""
    for path, _ in paths:
        _rewrite(payload, path, lambda value: open_value(value, tenant_id, keys))
    return payload
