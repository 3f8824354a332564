"""Turns a request body into a typed command, or a typed reason why not."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from services.application.untrusted_json import (
    UnreadableJson,
    may_hold_unstorable,
    printable,
    read_json,
    unstorable_text,
)
from services.domain.commands import COMMAND_TYPES, Command
from services.domain.errors import ErrorCode, RuleViolation, Violation
from services.domain.tenant_settings import SETTING_COMMANDS

COMMANDS_BY_NAME: Mapping[str, type[Command]] = {
    cls.name: cls for cls in (*COMMAND_TYPES, *SETTING_COMMANDS)
}
MAX_REQUEST_BYTES = 256 * 1024


def violations_of(error: ValidationError, whole: str = "body") -> tuple[Violation, ...]:
    """One Violation per failed field (``whole`` names a failure of the entire value)."""
    return tuple(
        Violation(
            criterion=printable(".".join(str(part) for part in item["loc"])) or whole,
            code=item["type"],
            message=printable(item["msg"]),
        )
        for item in error.errors(include_url=False)
    )


def parse_command(name: str, tenant: str, body: bytes, now: datetime) -> Command:
    """Parse ``body`` as command ``name`` for ``tenant``; ``now`` stamps a missing meta.now.

    Raises RuleViolation with MALFORMED_REQUEST, TOO_LARGE, UNKNOWN_COMMAND or
    INVALID_COMMAND (text the store cannot hold included, by field).
    """
    command_type = COMMANDS_BY_NAME.get(name)
    if command_type is None:
        raise RuleViolation(ErrorCode.UNKNOWN_COMMAND, f"no command named {name!r}")
    if len(body) > MAX_REQUEST_BYTES:
        raise RuleViolation(ErrorCode.TOO_LARGE, f"the request is over {MAX_REQUEST_BYTES} bytes")
    try:
        data = read_json(body)
    except UnreadableJson as exc:
        raise RuleViolation(ErrorCode.MALFORMED_REQUEST, f"body is unreadable: {exc}") from None
    if not isinstance(data, dict):
        raise RuleViolation(ErrorCode.MALFORMED_REQUEST, "body must be a JSON object")
    meta: Any = data.get("meta", {})
    if not isinstance(meta, dict):
        raise RuleViolation(ErrorCode.MALFORMED_REQUEST, "meta must be a JSON object")
    if meta.get("tenant_id", tenant) != tenant:
        raise RuleViolation(
            ErrorCode.INVALID_COMMAND, "meta.tenant_id differs from the tenant in the subject"
        )
    unstorable = unstorable_text(data) if may_hold_unstorable(body) else ()
    if unstorable:
        raise RuleViolation(
            ErrorCode.INVALID_COMMAND, f"{name} holds text that cannot be stored", unstorable
        )
    data["meta"] = {**meta, "tenant_id": tenant, "now": meta.get("now") or now}
    try:
        return command_type.model_validate(data)
    except ValidationError as exc:
        raise RuleViolation(
            ErrorCode.INVALID_COMMAND,
            f"{name} does not fit its schema ({exc.error_count()} problems)",
            violations_of(exc),
        ) from None
