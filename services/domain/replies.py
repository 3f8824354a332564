"""Replies of the command service: an accepted result or a typed error."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field, TypeAdapter

from events.values import Frozen
from services.domain.errors import ErrorCode, Violation


class Accepted(Frozen):
    """The command was applied (or had been already: ``duplicate``)."""

    ok: Literal[True] = True
    aggregate_type: str
    aggregate_id: str
    version: int = Field(description="the aggregate's version after the command")
    event_ids: tuple[UUID, ...] = ()
    event_types: tuple[str, ...] = ()
    duplicate: bool = Field(
        default=False, description="an earlier identical request was applied; nothing new stored"
    )
    flags: tuple[str, ...] = Field(default=(), description="warnings, e.g. too few key results")


class ErrorBody(Frozen):
    """Why a command was refused."""

    code: ErrorCode
    message: str
    violations: tuple[Violation, ...] = ()
    retryable: bool = Field(description="true when the same request may succeed later")


class Rejected(Frozen):
    """The command was refused; nothing was stored."""

    ok: Literal[False] = False
    error: ErrorBody


Reply = Accepted | Rejected
# Reads a reply off the wire, for every caller of the service (clients, the HTTP relay).
REPLY: TypeAdapter[Reply] = TypeAdapter(Reply)


def rejected(
    code: ErrorCode,
    message: str,
    violations: tuple[Violation, ...] = (),
    retryable: bool = False,
) -> Rejected:
    """A Rejected reply."""
    return Rejected(
        error=ErrorBody(code=code, message=message, violations=violations, retryable=retryable)
    )


def unavailable(message: str) -> Rejected:
    """The reply when a store, the service or the connection to it did not answer:
    retryable, since the same request may succeed once it does."""
    return rejected(ErrorCode.UNAVAILABLE, message, retryable=True)
