"""Loads aggregates by folding their events, incrementally from an in-process cache."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from immutables import Map

from events.chain import GENESIS
from events.envelope import StoredEvent
from services.application.ports import EventLog
from services.domain.decider import Decider, Evolve

AggregateKey = tuple[str, str, str]  # tenant, aggregate type, aggregate id


@dataclass(frozen=True)
class LoadedAggregate:
    """An aggregate's state and where its event history ends."""

    state: Any | None = None
    version: int = 0
    last_sequence: int = 0
    # command id -> version it left the aggregate at; persistent, so that folding one more
    # event does not copy the whole history's ids.
    handled_commands: Map[UUID, int] = field(default_factory=Map)
    from_cache: bool = False  # not checked against the stream: it may be behind
    last_hash: str = GENESIS  # Okr-Hash of the last event: the next event's prev_hash

    def fold(self, evolve: Evolve, events: list[StoredEvent]) -> LoadedAggregate:
        """This aggregate with ``events`` applied."""
        if not events:
            return self
        state = self.state
        handled = self.handled_commands.mutate()
        for stored in events:
            envelope = stored.envelope
            state = evolve(state, envelope.payload)
            if envelope.causation_id is not None:
                handled[envelope.causation_id] = envelope.aggregate_version
        last = events[-1]
        return replace(
            self,
            state=state,
            version=last.envelope.aggregate_version,
            last_sequence=last.stream_sequence,
            handled_commands=handled.finish(),
            from_cache=False,
            last_hash=last.hash or GENESIS,
        )


class Repository:
    """Loads aggregates; states are cached, and only newer events are fetched.

    Events never change, so a cached state is never wrong, only possibly behind:
    each load fetches what was stored after the cached sequence.
    """

    def __init__(
        self, store: EventLog, deciders: Mapping[str, Decider[Any]], cache_size: int = 10_000
    ) -> None:
        self._store = store
        self._deciders = deciders
        self._cache: OrderedDict[AggregateKey, LoadedAggregate] = OrderedDict()
        self._cache_size = cache_size

    async def load(
        self, tenant: str, aggregate_type: str, aggregate_id: str, trust_cache: bool = False
    ) -> LoadedAggregate:
        """The aggregate as of the newest stored event (an empty one if none).

        With ``trust_cache`` a cached state is returned without asking the stream; the
        caller must then treat a refusal or a conflict as a reason to load again.
        """
        key = (tenant, aggregate_type, aggregate_id)
        cached = self._cache.get(key)
        if cached is not None and trust_cache:
            return replace(cached, from_cache=True)
        cached = cached or LoadedAggregate()
        newer = await self._store.load(*key, after_sequence=cached.last_sequence)
        evolve = self._deciders[aggregate_type].evolve
        loaded = replace(cached.fold(evolve, newer), from_cache=False)
        if loaded.version:
            self._remember(key, loaded)
        return loaded

    def appended(self, loaded: LoadedAggregate, stored: Sequence[StoredEvent]) -> None:
        """Fold what this process just appended into the cache: the next command on the
        aggregate then starts from its true state instead of a conflict."""
        envelope = stored[0].envelope
        key = (envelope.tenant_id, envelope.aggregate_type.value, envelope.aggregate_id)
        self._remember(key, loaded.fold(self._deciders[key[1]].evolve, list(stored)))

    def forget_tenant(self, tenant: str) -> None:
        """Drop a tenant's cached states (after an erasure they may hold erased texts)."""
        for key in [k for k in self._cache if k[0] == tenant]:
            del self._cache[key]

    def _remember(self, key: AggregateKey, loaded: LoadedAggregate) -> None:
        self._cache[key] = loaded
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
