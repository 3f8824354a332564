"""The signal stream: each signal stored once per goal and occasion, whoever sends it.

A goal's signals of one type share a subject. A send names the subject's last sequence it
read (``Nats-Expected-Last-Subject-Sequence``), so of two instances that decided the same
signal on the same reading only one is stored; its derived id (the ``Nats-Msg-Id``) makes
a resend after a lost acknowledgement a duplicate within the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from nats.aio.client import Client
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import APIError, NotFoundError

from events.subjects import (
    HEADER_EXPECTED_SUBJECT_SEQ,
    HEADER_MSG_ID,
    HEADER_SIGNAL_TYPE,
    Subjects,
)
from services.adapters.event_store import WRONG_LAST_SEQUENCE
from services.adapters.stream import check_server

PUBLISH_TIMEOUT_S = 5.0


class SendOutcome(Enum):
    """What became of one send."""

    STORED = "stored"
    DUPLICATE = "duplicate"  # the same id was stored already (within the window)
    LOST_RACE = "lost_race"  # the subject moved since it was read: read again


@dataclass(frozen=True)
class LastSignal:
    """The latest signal on a subject: its sequence (0: none) and body."""

    sequence: int
    body: bytes | None


class SignalStream:
    """Stores signals on their own stream and reads a subject's latest one."""

    def __init__(self, nc: Client, stream: str, subjects: Subjects) -> None:
        self._nc = nc
        self._js = nc.jetstream()
        self.stream = stream
        self.subjects = subjects

    async def ensure(self, duplicate_window_s: float, replicas: int = 1) -> None:
        """Create the stream if missing; keep its duplicate window as configured."""
        check_server(self._nc)
        wanted = StreamConfig(
            name=self.stream,
            description="Check-in reminders, stale goals and hygiene findings (docs/signals.md)",
            subjects=self.subjects.signal_subjects(),
            storage=StorageType.FILE,
            num_replicas=replicas,
            duplicate_window=duplicate_window_s,
            allow_direct=True,
        )
        try:
            info = await self._js.stream_info(self.stream)
        except NotFoundError:
            await self._js.add_stream(wanted)
            return
        if info.config.duplicate_window != duplicate_window_s:
            info.config.duplicate_window = duplicate_window_s
            await self._js.update_stream(info.config)

    async def last(self, subject: str) -> LastSignal:
        """The latest signal on ``subject``."""
        try:
            msg = await self._js.get_last_msg(self.stream, subject, direct=True)
        except NotFoundError:
            return LastSignal(0, None)
        return LastSignal(int(msg.seq or 0), msg.data)

    async def send(
        self, subject: str, signal_type: str, signal_id: str, body: bytes, expected: int
    ) -> SendOutcome:
        """Store one signal unless ``subject`` moved past ``expected``."""
        headers = {
            HEADER_MSG_ID: signal_id,
            HEADER_SIGNAL_TYPE: signal_type,
            HEADER_EXPECTED_SUBJECT_SEQ: str(expected),
        }
        try:
            ack = await self._js.publish(
                subject, body, timeout=PUBLISH_TIMEOUT_S, stream=self.stream, headers=headers
            )
        except APIError as error:
            if error.err_code == WRONG_LAST_SEQUENCE:
                return SendOutcome.LOST_RACE
            raise
        return SendOutcome.DUPLICATE if ack.duplicate else SendOutcome.STORED
