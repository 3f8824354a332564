"""Every request gets a typed answer, also when the service itself fails."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast
from uuid import uuid4

from services.adapters.event_store import StoreUnavailable
from services.adapters.telemetry.setup import Telemetry
from services.application.answers import answer
from services.application.handler import CommandHandler
from services.domain.errors import ErrorCode
from services.domain.replies import Rejected

BODY = (
    b'{"meta": {"actor": "a", "now": "2026-11-02T09:00:00Z"}, "goal_type": "objective",'
    b' "goal_id": "o1", "key_result_id": "kr", "value": 1, "confidence": 0.5}'
)


class Failing:
    def __init__(self, error: Exception) -> None:
        self.error = error
        self.telemetry = Telemetry()

    async def execute(self, command: Any, claim_id: bool = False) -> Any:
        raise self.error


def clock() -> datetime:
    return datetime(2026, 11, 2, tzinfo=UTC)


async def reply_to(error: Exception) -> Rejected:
    handler = cast(CommandHandler, Failing(error))
    reply = await answer(handler, "record_check_in", "cmd.okr.acme.record_check_in", BODY, clock)
    assert isinstance(reply, Rejected)
    return reply


async def test_a_bug_is_answered_not_left_hanging() -> None:
    reply = await reply_to(RuntimeError("boom"))
    assert reply.error.code == ErrorCode.INTERNAL_ERROR
    assert "command_id" in reply.error.message


async def test_an_unavailable_store_is_a_retryable_error() -> None:
    reply = await reply_to(StoreUnavailable("down"))
    assert reply.error.code == ErrorCode.UNAVAILABLE
    assert reply.error.retryable


class Recording:
    def __init__(self) -> None:
        self.claimed: list[bool] = []
        self.telemetry = Telemetry()

    async def execute(self, command: Any, claim_id: bool = False) -> Any:
        self.claimed.append(claim_id)
        raise StoreUnavailable("only recording")


async def test_only_a_command_id_the_caller_chose_is_claimed() -> None:
    recording = Recording()
    handler = cast(CommandHandler, recording)
    chosen = BODY.replace(
        b'"actor": "a"', b'"actor": "a", "command_id": "%s"' % str(uuid4()).encode()
    )
    for body in (BODY, chosen):
        await answer(handler, "record_check_in", "cmd.okr.acme.record_check_in", body, clock)
    assert recording.claimed == [False, True]
