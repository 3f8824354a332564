"""The dead-letter stream is as immutable as the event log, and checked the same way."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from nats.aio.client import Client

from events.subjects import Subjects
from services.adapters.dead_letters import DeadLetters
from services.adapters.stream import IncompatibleServer, StreamSettings
from services.domain.errors import ErrorCode
from services.domain.replies import ErrorBody

pytestmark = pytest.mark.integration
REASON = ErrorBody(code=ErrorCode.INVALID_REPORT, message="no", retryable=False)


async def test_dead_letters_cannot_be_deleted_or_purged(
    nats_client: Client, subjects: Subjects, stream_name: str, tenant: str
) -> None:
    dead_letters = DeadLetters(nats_client, stream_name, subjects)
    await dead_letters.ensure_stream()
    await dead_letters.ensure_stream()  # a restart accepts the stream it made
    seq = await dead_letters.keep(tenant, b"{}", REASON, "ingest", datetime.now(UTC))

    delete = await nats_client.request(
        f"$JS.API.STREAM.MSG.DELETE.{stream_name}", json.dumps({"seq": seq}).encode()
    )
    purge = await nats_client.request(f"$JS.API.STREAM.PURGE.{stream_name}", b"{}")

    assert "not permitted" in json.loads(delete.data)["error"]["description"]
    assert "not permitted" in json.loads(purge.data)["error"]["description"]
    assert [letter.sequence for letter in await dead_letters.read(tenant)] == [seq]


async def test_start_up_refuses_a_dead_letter_stream_that_can_be_purged(
    nats_client: Client, subjects: Subjects, stream_name: str
) -> None:
    unsafe = StreamSettings(stream_name, subjects, dead_letters=True).config()
    unsafe.deny_purge = False  # as this service created it before it asked for deny_purge
    await nats_client.jetstream().add_stream(unsafe)

    with pytest.raises(IncompatibleServer, match=r"deny_purge.*OKR_DEAD_LETTER_STREAM"):
        await DeadLetters(nats_client, stream_name, subjects).ensure_stream()
