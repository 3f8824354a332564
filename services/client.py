"""A small typed client for the command service over NATS request/reply."""

from __future__ import annotations

import asyncio
from typing import Any

from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.errors import NoRespondersError
from pydantic import TypeAdapter

from events.subjects import DEFAULT_SUBJECTS, Subjects
from services.application.codec import COMMANDS_BY_NAME
from services.domain.errors import ErrorCode
from services.domain.replies import REPLY, Accepted, Rejected, rejected, unavailable

_BODY: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])


NO_RESPONDER_RETRIES = 3
NO_RESPONDER_PAUSE_S = 0.05


class CommandRejected(Exception):
    """The service refused a command; ``reply.error`` says why."""

    def __init__(self, reply: Rejected) -> None:
        super().__init__(f"{reply.error.code}: {reply.error.message}")
        self.reply = reply


def no_answer(message: str) -> Rejected:
    """The reply a caller gets when no answer came: retryable, resend with the same id."""
    return unavailable(
        f"{message}; resend with the same meta.command_id (commands are idempotent by it)"
    )


class OkrClient:
    """Sends commands as JSON requests and parses the typed replies.

    A request never hangs past ``timeout_s``: a missing answer (NATS or the service
    away, restarting, or reconnecting) comes back as a retryable ``unavailable`` reply.
    """

    def __init__(
        self,
        nc: Client,
        tenant: str,
        actor: str,
        subjects: Subjects = DEFAULT_SUBJECTS,
        timeout_s: float = 10.0,
    ) -> None:
        self._nc = nc
        self._subjects = subjects
        self._tenant = tenant
        self._actor = actor
        self._timeout = timeout_s

    @property
    def tenant(self) -> str:
        """The tenant this client sends commands for."""
        return self._tenant

    async def send_raw(self, command_name: str, body: bytes) -> Accepted | Rejected:
        """Send a raw body and return the parsed reply (for tests of bad input)."""
        if command_name not in COMMANDS_BY_NAME:
            # Answered here as the service would answer it, without the round trip.
            return rejected(ErrorCode.UNKNOWN_COMMAND, f"no command named {command_name!r}")
        subject = self._subjects.command(self._tenant, command_name)
        for attempt in range(NO_RESPONDER_RETRIES + 1):
            try:
                msg = await self._nc.request(subject, body, timeout=self._timeout)
                return REPLY.validate_json(msg.data)
            except NoRespondersError:
                # Seen right after a service subscribed (and flushed); a moment later the
                # same request is routed. Still none after the retries: no service is up.
                if attempt == NO_RESPONDER_RETRIES:
                    return no_answer(f"no command service listens on {subject}")
                await asyncio.sleep(NO_RESPONDER_PAUSE_S)
            except TimeoutError:  # nats.errors.TimeoutError is one
                return no_answer(f"no reply within {self._timeout} s")
            except NatsError as exc:  # closed, or reconnecting with a full outbound buffer
                return no_answer(f"NATS connection unusable ({type(exc).__name__})")
        raise AssertionError("unreachable")

    async def send(self, command_name: str, **fields: Any) -> Accepted | Rejected:
        """Send a command; ``meta`` gets this client's actor unless given."""
        meta = {"actor": self._actor, **fields.pop("meta", {})}
        body = _BODY.dump_json({"meta": meta, **fields})
        return await self.send_raw(command_name, body)

    async def execute(self, command_name: str, **fields: Any) -> Accepted:
        """Send a command and raise CommandRejected unless it was accepted."""
        reply = await self.send(command_name, **fields)
        if isinstance(reply, Rejected):
            raise CommandRejected(reply)
        return reply
