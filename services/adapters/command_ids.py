"""Binds each command id to one request: a reused id on another target or body is refused.

Event ids already name the tenant and aggregate, so a reused command id can no longer
drop a command; this tells the caller, instead of storing a second, unrelated request
under an id the caller believes names the first. A claim is one key of a JetStream
key-value bucket, created only if absent: the first request to use an id wins, and a
true resend (same target, same request: ``Command.request``) finds its own claim.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from services.adapters.buckets import open_bucket
from services.adapters.event_store import StoreUnavailable
from services.domain.commands import Command
from services.domain.errors import ErrorCode, RuleViolation

# Past this a reused id is no longer refused, only kept apart by its namespaced event ids.
DEFAULT_CLAIM_DAYS = 30.0


@dataclass(frozen=True)
class Claim:
    """What one command id was first used for."""

    command: str
    target: str
    digest: str

    def encode(self) -> bytes:
        """The claim as stored in the bucket."""
        return json.dumps(self.__dict__, sort_keys=True).encode()

    @classmethod
    def decode(cls, data: bytes) -> Claim:
        """A stored claim."""
        return cls(**json.loads(data))


def claim_of(command: Command) -> Claim:
    """The claim ``command`` makes on its id: its name, its target and a digest of what
    makes it the request it is (``Command.request``)."""
    canonical = json.dumps(command.request(), sort_keys=True, separators=(",", ":"))
    return Claim(
        command=command.name,
        target=f"{command.target_type.value}/{command.aggregate_id}",
        digest=hashlib.sha256(canonical.encode()).hexdigest(),
    )


class CommandIdClaims:
    """The claims of one deployment, in one key-value bucket."""

    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    @classmethod
    async def open(
        cls, nc: Client, bucket: str, keep_days: float = DEFAULT_CLAIM_DAYS, replicas: int = 1
    ) -> CommandIdClaims:
        """The bucket ``bucket``, created if missing (safe to race)."""
        description = "command id -> the request it names"
        return cls(await open_bucket(nc, bucket, description, keep_days * 86_400, replicas))

    async def claim(self, command: Command) -> None:
        """Claim ``command``'s id; raises RuleViolation(COMMAND_ID_REUSED) if another
        request holds it, StoreUnavailable if the bucket does not answer."""
        mine = claim_of(command)
        key = f"{command.meta.tenant_id}.{command.meta.command_id}"
        try:
            try:
                await self._kv.create(key, mine.encode())
                return
            except KeyWrongLastSequenceError:
                entry = await self._kv.get(key)
        except NatsError as exc:
            raise StoreUnavailable(f"command id claims: {exc!r}") from exc
        try:
            held: Claim | None = Claim.decode(entry.value or b"")
        except (ValueError, TypeError):
            held = None  # not written by this service: the id is taken all the same
        if held == mine:
            return  # a resend of the same request
        what = f" ({held.command} on {held.target})" if held else ""
        raise RuleViolation(
            ErrorCode.COMMAND_ID_REUSED,
            f"meta.command_id {command.meta.command_id} already names another request{what}; "
            "send a new command id for a new request",
        )
