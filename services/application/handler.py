"""Executes a command: load → decide → append, retrying a concurrency conflict."""

from __future__ import annotations

import asyncio
import json
import random
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from events.envelope import Envelope, EventPayload
from events.personal import Sealing, has_personal_text
from events.registry import REGISTRY
from services.adapters.command_ids import CommandIdClaims
from services.adapters.event_store import ConcurrencyConflict, Guard
from services.adapters.telemetry.setup import Telemetry
from services.application.facts_loader import FactsLoader
from services.application.ports import EventLog, KeyVault
from services.application.repository import LoadedAggregate, Repository
from services.domain.clock_skew import DEFAULT_SKEW, ClockSkew
from services.domain.commands import AlignGoal, Command, EraseDataSubject
from services.domain.data_subject import sealing_subject
from services.domain.decider import Decider
from services.domain.errors import ErrorCode, RuleViolation
from services.domain.ids import event_id_for
from services.domain.replies import Accepted

Clock = Callable[[], datetime]


def wrap(
    command: Command,
    base_version: int,
    payloads: Sequence[EventPayload],
    recorded_at: datetime,
) -> list[Envelope]:
    """Put decided payloads into envelopes with versions (after ``base_version``) and ids."""
    meta = command.meta
    # Built, not validated: every field comes from the validated command, the decided
    # payloads (validated when made) or the service; validating again cost a seventh of
    # a check-in's time in the service (docs/benchmarks.md).
    return [
        Envelope.model_construct(
            event_id=event_id_for(
                meta.tenant_id,
                command.target_type.value,
                command.aggregate_id,
                meta.command_id,
                payload,
                index,
            ),
            event_type=payload.event_type,
            schema_version=payload.schema_version,
            tenant_id=meta.tenant_id,
            aggregate_type=command.target_type,
            aggregate_id=command.aggregate_id,
            aggregate_version=base_version + index + 1,
            occurred_at=meta.now,
            recorded_at=recorded_at,
            actor=meta.actor,
            correlation_id=meta.correlation_id or meta.command_id,
            causation_id=meta.command_id,
            payload=payload,
        )
        for index, payload in enumerate(payloads)
    ]


def alignment_guard(store: EventLog, envelopes: Sequence[Envelope], expected: int) -> Guard:
    """The guard message stored with a goal's alignment: which goal, by which command.

    The cycle check reads the parents' ancestors; this guard makes that read and the write
    one atomic step across the tenant (and across service instances).
    """
    first = envelopes[0]
    body = {
        "tenant_id": first.tenant_id,
        "aggregate_type": first.aggregate_type.value,
        "aggregate_id": first.aggregate_id,
        "event_ids": [str(e.event_id) for e in envelopes],
    }
    subject = store.subjects.alignment_guard(first.tenant_id)
    return Guard(subject, expected, json.dumps(body).encode())


class CommandHandler:
    """The write path for every command; holds no business rules itself."""

    def __init__(
        self,
        store: EventLog,
        repository: Repository,
        deciders: Mapping[str, Decider[Any]],
        facts: FactsLoader,
        clock: Clock,
        retries: int = 5,
        claims: CommandIdClaims | None = None,
        skew: ClockSkew = DEFAULT_SKEW,
        keys: KeyVault | None = None,
        telemetry: Telemetry | None = None,
    ) -> None:
        # Where answers are counted and traced (answers.py, the ingestor): one per service.
        self.telemetry = telemetry if telemetry is not None else Telemetry()
        self._store = store
        self._keys = keys  # None: personal fields are stored unsealed (pure use-case tests)
        self._claims = claims
        self._skew = skew
        self._repository = repository
        self._deciders = deciders
        self._facts = facts
        self._clock = clock
        self._retries = retries
        # Commands on one aggregate take turns inside this process: racing ourselves would
        # only turn into conflicts and retries. A lock lives while someone holds or awaits it.
        self._turns: weakref.WeakValueDictionary[tuple[str, str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    def _turn(self, key: tuple[str, str, str]) -> asyncio.Lock:
        lock = self._turns.get(key)
        if lock is None:
            lock = self._turns[key] = asyncio.Lock()
        return lock

    async def execute(self, command: Command, claim_id: bool = False) -> Accepted:
        """Apply ``command``; raises RuleViolation when refused. With ``claim_id`` (a
        caller's request, whose id the caller chose) it is also refused when its command
        id already names another request."""
        if claim_id and self._claims is not None:
            await self._claims.claim(command)
        if isinstance(command, EraseDataSubject) and self._keys is not None:
            # The key goes first: the erasure event never claims more than is done, and a
            # retry or a repeated erasure destroys whatever key is left.
            await self._keys.destroy(command.meta.tenant_id, command.subject_id)
            self._repository.forget_tenant(command.meta.tenant_id)
        [outcome] = await self.execute_in_order([command])
        if isinstance(outcome, RuleViolation):
            raise outcome
        return outcome

    async def execute_in_order(self, commands: Sequence[Command]) -> list[Accepted | RuleViolation]:
        """Commands on one aggregate, decided in order on one state and stored with one
        atomic append; a refused command does not hold back the others.

        The outcome of each command is its Accepted reply or the RuleViolation refusing it;
        a lost race re-decides them all (nothing is stored unless all of it is), unless a
        command pinned ``meta.expected_version``: then the race is its answer.
        """
        first = commands[0]
        key = (first.meta.tenant_id, first.target_type.value, first.aggregate_id)
        if any((c.meta.tenant_id, c.target_type.value, c.aggregate_id) != key for c in commands):
            raise ValueError("execute_in_order takes the commands of one aggregate")
        async with self._turn(key):
            return await self._execute_in_order(commands, key)

    async def _execute_in_order(
        self, commands: Sequence[Command], key: tuple[str, str, str]
    ) -> list[Accepted | RuleViolation]:
        trust_cache = True
        conflicts = 0
        while True:
            loaded = await self._repository.load(*key, trust_cache=trust_cache)
            trust_cache = False
            # Read before the facts: a guard moved after this read refuses the append.
            guard_at = await self._guard_sequence(commands)
            outcomes, envelopes, subjects = await self._decide_in_order(commands, loaded)
            if loaded.from_cache and any(isinstance(o, RuleViolation) for o in outcomes):
                continue  # refused on cached state: decide again on the stream's
            if not envelopes:
                return outcomes
            guard = None if guard_at is None else alignment_guard(self._store, envelopes, guard_at)
            sealings = await self._sealings(envelopes, subjects)
            try:
                result = await self._store.append(
                    envelopes, loaded.last_sequence, loaded.last_hash, guard, sealings
                )
            except ConcurrencyConflict:
                conflicts += 1
                pinned = any(c.meta.expected_version is not None for c in commands)
                if pinned or conflicts > self._retries:
                    conflict = RuleViolation(
                        ErrorCode.CONCURRENCY_CONFLICT,
                        f"the goal changed while the command ran ({conflicts} attempts)",
                    )
                    return [conflict for _ in commands]
                if not loaded.from_cache:
                    # Jittered backoff so racing writers don't collide again in lockstep.
                    await asyncio.sleep(random.uniform(0, 0.005 * 2**conflicts))
                continue
            if result.stored:
                self._repository.appended(loaded, result.stored)
            if result.duplicate:
                return [
                    o.model_copy(update={"duplicate": True}) if isinstance(o, Accepted) else o
                    for o in outcomes
                ]
            return outcomes

    async def _sealings(
        self, envelopes: Sequence[Envelope], subjects: Sequence[tuple[str, bool]]
    ) -> dict[UUID, Sealing]:
        """How each event with personal text is sealed: under its data subject's key."""
        sealings: dict[UUID, Sealing] = {}
        if self._keys is None:
            return sealings
        for envelope, (subject, individual) in zip(envelopes, subjects, strict=True):
            paths = REGISTRY.personal_paths(envelope.event_type)
            if not paths:
                continue
            # Only the fields that hold personal text: a check-in is not dumped whole here.
            personal = envelope.payload.model_dump(mode="json", include={p[0] for p, _ in paths})
            if has_personal_text(personal, paths, individual):
                key = await self._keys.key_for(envelope.tenant_id, subject)
                sealings[envelope.event_id] = Sealing(key, individual)
        return sealings

    async def _guard_sequence(self, commands: Sequence[Command]) -> int | None:
        """Where the tenant's alignment guard stands, when a command aligns a goal."""
        if not any(isinstance(c, AlignGoal) for c in commands):
            return None
        subject = self._store.subjects.alignment_guard(commands[0].meta.tenant_id)
        return await self._store.last_sequence_of(subject)

    async def _decide_in_order(
        self, commands: Sequence[Command], loaded: LoadedAggregate
    ) -> tuple[list[Accepted | RuleViolation], list[Envelope], list[tuple[str, bool]]]:
        """Each command's outcome, the events decided, and whose key seals each event."""
        decider = self._deciders[commands[0].target_type.value]
        state, version = loaded.state, loaded.version
        handled: dict[UUID, int] = {}  # decided in this call; the rest is in ``loaded``
        recorded_at = self._clock()
        outcomes: list[Accepted | RuleViolation] = []
        envelopes: list[Envelope] = []
        subjects: list[tuple[str, bool]] = []
        for command in commands:
            meta = command.meta
            earlier = handled.get(meta.command_id, loaded.handled_commands.get(meta.command_id))
            if earlier is not None:
                outcomes.append(self._accepted(command, earlier, (), True))
                continue
            try:
                if meta.expected_version is not None and meta.expected_version != version:
                    raise RuleViolation(
                        ErrorCode.CONCURRENCY_CONFLICT,
                        f"expected version {meta.expected_version}, the goal is at {version}",
                    )
                self._skew.check(meta.now, recorded_at)
                facts = replace(await self._facts.load(command), received_at=recorded_at)
                payloads = decider.decide(state, command, facts)
            except RuleViolation as violation:
                outcomes.append(violation)
                continue
            decided = wrap(command, version, payloads, recorded_at)
            for payload in payloads:
                subjects.append(sealing_subject(state, payload, meta.actor))
                state = decider.evolve(state, payload)
            version += len(payloads)
            handled[meta.command_id] = version
            envelopes.extend(decided)
            outcomes.append(self._accepted(command, version, decided, not decided))
        return outcomes, envelopes, subjects

    @staticmethod
    def _accepted(
        command: Command, version: int, envelopes: Sequence[Envelope], duplicate: bool
    ) -> Accepted:
        flags = tuple(flag for e in envelopes for flag in getattr(e.payload, "flags", ()))
        return Accepted(
            aggregate_type=command.target_type.value,
            aggregate_id=command.aggregate_id,
            version=version,
            event_ids=tuple(e.event_id for e in envelopes),
            event_types=tuple(e.event_type for e in envelopes),
            duplicate=duplicate,
            flags=flags,
        )
