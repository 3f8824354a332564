"""Applies batches of stored events to one schema: rows and checkpoint in one transaction."""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Sequence
from typing import Literal, cast

import asyncpg

from events.data_subjects import DataSubjectErased
from events.envelope import StoredEvent
from events.personal import KeyRing
from projections import checkpoints
from projections.apply import apply
from projections.migrations import migrate
from projections.parking import Culprit, advance, load_parked, park, unpark
from projections.partitions import DEFAULT_PARTITIONS, Share
from projections.pg_rows import flush, preload, preload_policies, prepare_staging
from projections.poison import POISON, Read, Unreadable, describe
from projections.read_models.erasure import erase_subject
from projections.rows import Changes
from projections.scoring import ScoringPolicy
from projections.view import View

log = logging.getLogger(__name__)
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# Rows kept in memory between batches; past this the view starts afresh (reloads lazily).
MAX_CACHED_GOALS = 50_000


class OutOfOrder(RuntimeError):
    """A batch does not continue exactly where the checkpoint ends."""


def check_schema(name: str) -> str:
    """Return ``name`` if it is a safe PostgreSQL schema identifier."""
    if not _SCHEMA.fullmatch(name):
        raise ValueError(f"schema {name!r} must match {_SCHEMA.pattern}")
    return name


class ProjectionWriter:
    """Writes read models into ``schema``; the single writer of those tables.

    An event that cannot be decoded, applied or written (``projections.poison``) does
    not stop the others. ``on_poison="park"`` (the live read models, a rebuild) parks
    its tenant: that tenant's later events are skipped until it is resumed, every other
    tenant goes on. ``"skip"`` (a replay for an audit) passes over the event alone and
    lists it in ``skipped``. It applies the events of the tenant partitions it owns (all
    after ``open``, then as ``hold`` says), each past its partition's checkpoint.
    """

    def __init__(
        self,
        conn: asyncpg.Connection,
        schema: str,
        name: str,
        policy: ScoringPolicy,
        on_poison: Literal["park", "skip"] = "park",
        keys: KeyRing | None = None,
        partitions: int = DEFAULT_PARTITIONS,
        worker: str | None = None,
    ) -> None:
        self._conn = conn
        self.schema = check_schema(schema)
        self.name = name
        self._policy = policy
        self._view = View()
        self._on_poison = on_poison
        self.keys = keys  # opens the personal fields of what this writer is given to read
        self.share = Share(partitions)
        self.worker = worker  # named as the owner of the partitions it writes
        self.parked: dict[str, int] = {}  # tenant -> its first unapplied sequence
        self.skipped: list[Culprit] = []

    @property
    def checkpoint(self) -> int:
        """The slowest owned partition's checkpoint (how far it has read, owning none)."""
        return self.share.slowest

    async def open(self) -> int:
        """Migrate, then read every partition's checkpoint (all owned until ``hold``)."""
        self._view = View()
        await migrate(self._conn, self.schema)
        await self._conn.execute(f'SET search_path TO "{self.schema}"')
        await prepare_staging(self._conn)
        await checkpoints.ensure(self._conn, self.name, self.share.count)
        self.share.checkpoints = await checkpoints.read(self._conn, self.name)
        self.share.position = self.share.slowest
        self.parked = await load_parked(self._conn)
        return self.checkpoint

    async def hold(self, partitions: Collection[int]) -> bool:
        """Own exactly ``partitions`` (just locked by this session), their checkpoints
        read afresh; True if one is behind the position, which then moves back to it."""
        self._view = View()  # a former owner may have changed rows this cache holds
        self.share.checkpoints = await checkpoints.claim(
            self._conn, self.name, partitions, self.worker
        )
        self.parked = await load_parked(self._conn)
        behind = self.share.slowest < self.share.position
        self.share.position = min(self.share.position, self.share.slowest)
        return behind

    async def write(
        self,
        batch: Sequence[Read],
        selection: bool = False,
        delivered: Sequence[int] | None = None,
    ) -> int:
        """Apply the events past the checkpoint, in one transaction; returns how many.

        ``selection``: the batch is a chosen subset of the stream (a replay as of an
        instant, one tenant), so gaps between sequences are expected. ``delivered``: the
        sequences of every message delivered with ``batch``, guards (which hold no event)
        included; the checkpoint moves past all of them.
        """
        position = self.share.position
        arrived = (e.stream_sequence for e in batch) if delivered is None else delivered
        sequences = [s for s in arrived if s > position]
        if not sequences:
            return 0
        # The stream has no gaps (deny_delete, no limits) and every worker reads all of
        # it, so anything but position + 1, + 2, ... is a redelivery out of order.
        expected = range(position + 1, position + 1 + len(sequences))
        if not selection and sequences != list(expected):
            raise OutOfOrder(
                f"got sequences {sequences[0]}..{sequences[-1]} after checkpoint {position}"
            )
        last = sequences[-1]
        if not self.share.checkpoints:  # owning nothing, it only keeps its place
            self.share.advance(last)
            return 0
        fresh = [e for e in batch if self.share.wants(_tenant_of(e), e.stream_sequence)]
        if self.parked:
            fresh = [e for e in fresh if not self._held_back(e)]
        if len(self._view.goals) > MAX_CACHED_GOALS:
            self._view = View()
        try:
            if all(type(e) is StoredEvent for e in fresh):
                try:
                    async with self._conn.transaction():
                        await self._apply(cast(list[StoredEvent], fresh))
                        await self._save_checkpoint(last)
                except POISON:
                    self._view = View()  # the cache may hold rows the rollback undid
                else:
                    self.share.advance(last)
                    return len(fresh)
            return await self._write_carefully(fresh, last)
        except BaseException:
            self._view = View()
            raise

    async def resume(self, tenant: str, events: Sequence[Read], done: bool) -> Culprit | None:
        """Apply the events of a parked tenant that the batches held back (its own, from
        its first unapplied sequence, up to the checkpoint), then un-park it when ``done``.

        Returns the event that still fails (the tenant is parked on it again), if any.
        """
        first = self.parked.get(tenant)
        upto = self.share.checkpoint_of(tenant)
        if first is None or upto is None:
            return None
        held = [e for e in events if first <= e.stream_sequence <= upto]
        try:
            async with self._conn.transaction():
                _, culprits = await self._apply_carefully(held)
                if culprits:
                    await self._park(culprits[0])
                elif done:
                    await unpark(self._conn, tenant)
                elif held:
                    await advance(self._conn, tenant, held[-1].stream_sequence + 1)
        except BaseException:
            self._view = View()
            raise
        if culprits:
            self.parked[tenant] = culprits[0].first_sequence
        elif done:
            del self.parked[tenant]
            log.info("tenant %s resumed", tenant)
        elif held:
            self.parked[tenant] = held[-1].stream_sequence + 1
        return culprits[0] if culprits else None

    def _held_back(self, e: Read) -> bool:
        """Whether ``e`` belongs to a parked tenant at or past its culprit."""
        first = self.parked.get(_tenant_of(e))
        return first is not None and e.stream_sequence >= first

    async def _apply(self, events: Sequence[StoredEvent]) -> None:
        """Apply and flush ``events`` inside the caller's transaction; an erasure scrubs
        the rows written so far, in stream order, and empties the cache of rows."""
        start = 0
        for index, stored in enumerate(events):
            erased = stored.envelope.payload
            if isinstance(erased, DataSubjectErased):
                await self._apply_run(events[start : index + 1])
                await erase_subject(self._conn, stored.envelope.tenant_id, erased.subject_id)
                self._view = View()
                start = index + 1
        await self._apply_run(events[start:])

    async def _apply_run(self, events: Sequence[StoredEvent]) -> None:
        await preload_policies(self._conn, self._view, events)
        await preload(self._conn, self._view, (_goal_key(e) for e in events))
        for stored in events:
            apply(self._view, stored, self._policy)
        self._view.settle(self._policy)
        await flush(self._conn, self._view.changes)
        self._view.changes = Changes()

    async def _try(self, events: Sequence[StoredEvent]) -> BaseException | None:
        """Apply ``events`` under a savepoint; returns the poison error that undid them."""
        try:
            async with self._conn.transaction():
                await self._apply(events)
        except POISON as exc:
            self._view = View()  # the cache may hold rows the savepoint's rollback undid
            return exc
        return None

    async def _write_carefully(self, events: Sequence[Read], last: int) -> int:
        """A batch that failed as a whole, tenant by tenant, naming and parking culprits."""
        async with self._conn.transaction():
            applied, culprits = await self._apply_carefully(events)
            for culprit in culprits:
                await self._park(culprit)
            await self._save_checkpoint(last)
        for culprit in culprits:
            self.parked[culprit.tenant_id] = culprit.first_sequence
        self.share.advance(last)
        return applied

    async def _apply_carefully(self, events: Sequence[Read]) -> tuple[int, list[Culprit]]:
        """Each tenant's events under a savepoint of its own; a failing tenant's event by
        event, to find the culprit. Returns how many were applied, and the culprits."""
        applied, culprits = 0, []
        for group in _by_tenant(events).values():
            stored = [e for e in group if isinstance(e, StoredEvent)]
            if len(stored) == len(group) and await self._try(stored) is None:
                applied += len(group)
                continue
            for item in group:
                error = item.error if isinstance(item, Unreadable) else await self._try([item])
                if error is None:
                    applied += 1
                    continue
                culprits.append(_culprit(item, error))
                if self._on_poison == "park":
                    break  # the tenant's later events wait for its resumption
        if self._on_poison == "skip":
            self.skipped.extend(culprits)
            return applied, []
        return applied, culprits

    async def _park(self, culprit: Culprit) -> None:
        await park(self._conn, culprit)
        log.warning(
            "parked tenant %s of %s at sequence %s (%s): %s",
            culprit.tenant_id,
            self.schema,
            culprit.first_sequence,
            culprit.subject,
            culprit.error,
        )

    async def _save_checkpoint(self, last: int) -> None:
        await checkpoints.save(self._conn, self.name, self.share.checkpoints, last, self.worker)


def _tenant_of(e: Read) -> str:
    return e.envelope.tenant_id if isinstance(e, StoredEvent) else e.tenant


def _by_tenant(events: Sequence[Read]) -> dict[str, list[Read]]:
    groups: dict[str, list[Read]] = {}
    for e in events:
        groups.setdefault(_tenant_of(e), []).append(e)
    return groups


def _culprit(e: Read, error: str | BaseException) -> Culprit:
    text = error if isinstance(error, str) else describe(error)
    if isinstance(e, Unreadable):
        return Culprit(e.tenant, e.stream_sequence, e.subject, e.event_id, e.event_type, text)
    env = e.envelope
    return Culprit(
        env.tenant_id, e.stream_sequence, e.subject, str(env.event_id), env.event_type, text
    )


def _goal_key(stored: StoredEvent) -> tuple[str, str, str]:
    e = stored.envelope
    return (e.tenant_id, e.aggregate_type.value, e.aggregate_id)
