"""A known set of commands, sent as clients would, with the outcome of every one recorded.

Each command has its own command id; a retryable refusal (``unavailable``, a conflict)
is resent with the same id until the command is settled, as the service's contract asks.
So at the end every command is either accepted (once, whatever the number of attempts)
or refused for good, and the proofs know exactly which events must be in the stream.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from events.values import Cycle
from services.client import OkrClient
from services.domain.errors import ErrorCode
from services.domain.replies import Accepted, Rejected

Q4 = Cycle.quarter("2026-q4").model_dump(mode="json")
SETUP_NOW = "2026-10-01T09:00:00Z"
RETRY_PAUSE_S = (0.05, 1.0)


@dataclass
class Outcome:
    """What became of one command (all its attempts, one command id)."""

    command_id: UUID
    name: str
    tenant: str
    aggregate: tuple[str, str]  # (type, id)
    attempts: int = 0
    accepted: bool = False
    event_ids: tuple[UUID, ...] = ()  # as the accepting reply listed them
    refused: ErrorCode | None = None  # a final, non-retryable refusal
    retryable: Counter[str] = field(default_factory=Counter)  # retryable codes seen
    slowest_reply_s: float = 0.0

    @property
    def settled(self) -> bool:
        """Accepted or refused for good."""
        return self.accepted or self.refused is not None


@dataclass
class Ledger:
    """Every command sent in a scenario, by command id."""

    outcomes: dict[UUID, Outcome] = field(default_factory=dict)

    @property
    def sent(self) -> int:
        """Commands sent at least once."""
        return sum(1 for o in self.outcomes.values() if o.attempts)

    def accepted(self) -> list[Outcome]:
        """The commands the service accepted."""
        return [o for o in self.outcomes.values() if o.accepted]

    def retryable_replies(self) -> Counter[str]:
        """Retryable refusals seen, by code, over all attempts."""
        total: Counter[str] = Counter()
        for outcome in self.outcomes.values():
            total.update(outcome.retryable)
        return total

    def slowest_reply_s(self) -> float:
        """The longest any single request waited for its reply."""
        return max((o.slowest_reply_s for o in self.outcomes.values()), default=0.0)


async def send_until_settled(
    client: OkrClient,
    ledger: Ledger,
    name: str,
    aggregate: tuple[str, str],
    fields: dict[str, Any],
    now: str,
    give_up_after_s: float = 60.0,
) -> Outcome:
    """Send one command (one command id) until it is accepted or refused for good."""
    outcome = Outcome(uuid4(), name, client.tenant, aggregate)
    ledger.outcomes[outcome.command_id] = outcome
    pause = RETRY_PAUSE_S[0]
    deadline = time.monotonic() + give_up_after_s
    while time.monotonic() < deadline:
        outcome.attempts += 1
        began = time.monotonic()
        reply = await client.send(
            name, meta={"command_id": str(outcome.command_id), "now": now}, **fields
        )
        outcome.slowest_reply_s = max(outcome.slowest_reply_s, time.monotonic() - began)
        if isinstance(reply, Accepted):
            outcome.accepted = True
            outcome.event_ids = reply.event_ids
            return outcome
        assert isinstance(reply, Rejected)
        if not reply.error.retryable:
            outcome.refused = reply.error.code
            return outcome
        outcome.retryable[reply.error.code.value] += 1
        await asyncio.sleep(random.uniform(0, pause))  # jitter: clients don't stampede
        pause = min(pause * 2, RETRY_PAUSE_S[1])
    return outcome  # unsettled: the proofs count it as a failure


@dataclass(frozen=True)
class Goals:
    """The objectives a workload checks in on: each with key results ``k1``, ``k2``."""

    objective_ids: tuple[str, ...]
    key_results: tuple[str, ...] = ("k1", "k2")


async def set_up_goals(client: OkrClient, ledger: Ledger, count: int, prefix: str = "o") -> Goals:
    """Create ``count`` objectives with two key results each (sent before any fault)."""
    goals = Goals(tuple(f"{prefix}{i}" for i in range(count)))
    for objective_id in goals.objective_ids:
        aggregate = ("objective", objective_id)
        commands: list[tuple[str, dict[str, Any]]] = [
            (
                "create_objective",
                {
                    "objective_id": objective_id,
                    "title": f"Objective {objective_id}",
                    "level": "team",
                    "owner": "lead",
                    "cycle": Q4,
                },
            ),
            *(
                (
                    "add_key_result",
                    {
                        "objective_id": objective_id,
                        "key_result_id": kr,
                        "terms": {
                            "title": kr,
                            "weight": 1,
                            "metric": {"kind": "numeric", "baseline": 0, "target": 1000},
                        },
                    },
                )
                for kr in goals.key_results
            ),
        ]
        for name, fields in commands:
            outcome = await send_until_settled(client, ledger, name, aggregate, fields, SETUP_NOW)
            assert outcome.accepted, f"set-up {name} on {objective_id}: {outcome}"
    return goals


def check_in_now(index: int) -> str:
    """Business time of the index-th check-in: inside the cycle, moving forward."""
    minutes = index % (40 * 24 * 60)
    day, minute = 1 + minutes // (24 * 60), minutes % (24 * 60)
    return f"2026-11-{day:02d}T{minute // 60:02d}:{minute % 60:02d}:00Z"


@dataclass
class CheckInLoad:
    """Up to ``total`` check-ins spread over the goals by ``workers`` concurrent senders.

    A scenario that injects faults sets ``stop`` once the last fault is behind it and
    some more commands went through: so every fault lands while commands flow.
    """

    clients: Sequence[OkrClient]
    goals: Goals
    ledger: Ledger
    total: int
    workers: int = 8
    pause_s: float = 0.0  # between one worker's commands: spreads the load over time
    issued: int = 0
    stop: asyncio.Event = field(default_factory=asyncio.Event)  # stop issuing new ones

    async def run(self) -> None:
        """Send every check-in; return when all are settled (or given up)."""
        await asyncio.gather(*(self._worker(w) for w in range(self.workers)))

    async def _worker(self, worker: int) -> None:
        client = self.clients[worker % len(self.clients)]
        rng = random.Random(worker)
        while self.issued < self.total and not self.stop.is_set():
            index = self.issued
            self.issued += 1
            objective_id = rng.choice(self.goals.objective_ids)
            fields = {
                "goal_type": "objective",
                "goal_id": objective_id,
                "key_result_id": rng.choice(self.goals.key_results),
                "value": rng.randint(0, 1000),
                "confidence": round(rng.random(), 2),
            }
            await send_until_settled(
                client,
                self.ledger,
                "record_check_in",
                ("objective", objective_id),
                fields,
                check_in_now(index),
            )
            if self.pause_s:
                await asyncio.sleep(self.pause_s)

    async def then(self, more: int) -> None:
        """Return once ``more`` check-ins beyond those issued so far have been handed out."""
        await self.wait_for(self.issued + more)

    async def wait_for(self, issued: int) -> None:
        """Return once ``issued`` check-ins have been handed to the senders."""
        while self.issued < issued:  # noqa: ASYNC110 (the senders advance it on this loop)
            await asyncio.sleep(0.01)
