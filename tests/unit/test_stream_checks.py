"""Start-up checks refuse servers and streams that cannot keep the event log's promises."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest
from nats.aio.client import Client
from nats.js.api import StreamConfig, StreamInfo, StreamState

from events.subjects import Subjects
from services.adapters.stream import (
    IncompatibleServer,
    StreamSettings,
    check_server,
    check_stream,
    parse_version,
)

WANTED = StreamSettings(name="OKR_EVENTS", subjects=Subjects())


def server(version: str, jetstream: bool = True) -> Client:
    info: dict[str, Any] = {"version": version, "jetstream": jetstream}
    return cast(Client, SimpleNamespace(_server_info=info, connected_url="nats://x:4222"))


def info_of(config: StreamConfig) -> StreamInfo:
    state = StreamState(messages=0, bytes=0, first_seq=0, last_seq=0, consumer_count=0)
    return StreamInfo(config=config, state=state)


@pytest.mark.parametrize(("text", "parsed"), [("2.15.1", (2, 15, 1)), ("v2.12.0-beta", (2, 12, 0))])
def test_versions_are_read(text: str, parsed: tuple[int, int, int]) -> None:
    assert parse_version(text) == parsed


def test_a_current_server_with_jetstream_is_accepted() -> None:
    check_server(server("2.15.1"))


def test_debians_2_9_server_is_refused_with_a_way_out() -> None:
    with pytest.raises(IncompatibleServer, match=r"2\.9\.10 .* too old.*OKR_NATS_URL"):
        check_server(server("2.9.10"))


def test_a_server_without_jetstream_is_refused() -> None:
    with pytest.raises(IncompatibleServer, match="JetStream"):
        check_server(server("2.15.1", jetstream=False))


def test_the_stream_this_service_creates_passes_its_own_check() -> None:
    check_stream(info_of(WANTED.config()), WANTED)


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"deny_delete": False}, "deny_delete"),
        ({"deny_purge": False}, "deny_purge"),
        ({"storage": "memory"}, "storage"),
        ({"allow_atomic": False}, "allow_atomic"),
        ({"max_age": 3600.0}, "discard"),
        ({"subjects": ["other.>"]}, "subjects"),
    ],
)
def test_an_unsafe_stream_is_refused(change: dict[str, Any], complaint: str) -> None:
    config = WANTED.config()
    for name, value in change.items():
        setattr(config, name, value)
    with pytest.raises(IncompatibleServer, match=complaint):
        check_stream(info_of(config), WANTED)


DEAD_LETTERS = StreamSettings(name="OKR_DEAD_LETTERS", subjects=Subjects(), dead_letters=True)


def test_the_dead_letter_stream_is_immutable_and_passes_the_same_check() -> None:
    config = DEAD_LETTERS.config()
    assert (config.deny_delete, config.deny_purge) == (True, True)
    assert config.subjects == Subjects().dead_letter_subjects()
    check_stream(info_of(config), DEAD_LETTERS)  # no atomic batches needed there


@pytest.mark.parametrize("flag", ["deny_delete", "deny_purge"])
def test_a_dead_letter_stream_that_can_lose_letters_is_refused(flag: str) -> None:
    config = DEAD_LETTERS.config()
    setattr(config, flag, False)
    with pytest.raises(IncompatibleServer, match=f"dead letters: {flag}.*OKR_DEAD_LETTER_STREAM"):
        check_stream(info_of(config), DEAD_LETTERS)
