"""The auditor's operations: report a cycle as of an instant and as known at another,
verify the log, check the live models against a replay."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from events.personal import KeyRing
from projections.audit.axes import EVERYTHING, TimeAxes
from projections.audit.build import report_of
from projections.audit.check import (
    ConsistencyCheck,
    Fields,
    cascade_fields,
    field_differences,
    row_differences,
    score_fields,
)
from projections.audit.consistency import Difference, compare
from projections.audit.fold import ReportFold
from projections.audit.parallel import Workers, replay_parallel
from projections.audit.replay import Progress, Replayed, replay_tenant
from projections.audit.report import AuditReport, SkippedEvent
from projections.audit.verify import Progress as VerifyProgress
from projections.audit.verify import Verification, verify_log
from projections.consumer import EventLog
from projections.queries import ReadModels
from projections.scoring import ScoringPolicy
from projections.tables import GOALS
from services.adapters import database
from services.settings import DatabaseTimeouts


class Auditor:
    """Replays into throw-away schemas; never writes to the live read models."""

    def __init__(
        self,
        event_log: EventLog,
        database_url: str,
        live_schema: str,
        policy: ScoringPolicy,
        replay_prefix: str = "replay_",
        timeouts: DatabaseTimeouts | None = None,
        keys: KeyRing | None = None,
        replay_workers: int = 1,
        parallel_from: int = 50_000,
    ) -> None:
        self._timeouts = timeouts or DatabaseTimeouts()
        # A tenant with at least ``parallel_from`` events is replayed by ``replay_workers``
        # processes; below that, starting them costs more than they would save.
        self._workers = replay_workers
        self._parallel_from = parallel_from
        self._keys = keys
        self._replay_prefix = replay_prefix
        self._log = event_log
        self._database_url = database_url
        self._live_schema = live_schema
        self._policy = policy

    @asynccontextmanager
    async def _replayed(
        self,
        tenant: str,
        axes: TimeAxes,
        progress: Progress | None,
        fold: ReportFold | None = None,
    ) -> AsyncIterator[tuple[Replayed, asyncpg.Connection]]:
        schema = f"{self._replay_prefix}{uuid.uuid4().hex[:16]}"
        conn = await database.connect(self._database_url, self._timeouts)
        try:
            yield await self._replay(conn, tenant, axes, schema, progress, fold), conn
        finally:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            await conn.close()

    async def _replay(
        self,
        conn: asyncpg.Connection,
        tenant: str,
        axes: TimeAxes,
        schema: str,
        progress: Progress | None,
        fold: ReportFold | None,
    ) -> Replayed:
        """The tenant replayed into ``schema``: in parallel when it has events enough."""
        parallel = self._workers > 1 and (
            self._parallel_from <= 0
            or await self._log.count(self._log.subjects.tenant(tenant)) >= self._parallel_from
        )
        if not parallel:
            feed = None if fold is None else fold.feed
            return await replay_tenant(
                self._log, conn, tenant, axes, schema, self._policy, progress, feed, self._keys
            )
        workers = Workers(
            self._workers, self._database_url, database.connect_options(self._timeouts)
        )
        return await replay_parallel(
            self._log, conn, tenant, axes, schema, self._policy, workers, progress, fold, self._keys
        )

    @asynccontextmanager
    async def _models(self, schema: str) -> AsyncIterator[ReadModels]:
        # The replay's answers come from the same queries (and scoring) as the live ones.
        pool = await database.read_pool(self._database_url, self._timeouts, schema, max_size=2)
        try:
            yield ReadModels(pool, self._policy, self._timeouts.acquire_s)
        finally:
            await pool.close()

    async def report(
        self, tenant: str, cycle_id: str, axes: TimeAxes, progress: Progress | None = None
    ) -> AuditReport:
        """The cycle as the log says it stood at ``axes.as_of``, as known at ``axes.known_at``."""
        fold = ReportFold(self._policy)  # the histories, folded as the replay streams by
        async with (
            self._replayed(tenant, axes, progress, fold) as (replayed, _),
            self._models(replayed.schema) as models,
        ):
            scores = await models.goal_scores(tenant, fold.goals_of(cycle_id), axes.as_of)
            cascade = await models.cycle_cascade(tenant, cycle_id, axes.as_of)
        report = report_of(fold, tenant, cycle_id, axes, scores, cascade)
        skipped = tuple(
            SkippedEvent(
                stream_sequence=c.first_sequence,
                subject=c.subject,
                event_id=c.event_id,
                event_type=c.event_type,
                error=c.error,
            )
            for c in replayed.skipped
        )
        return report.model_copy(update={"skipped_events": skipped})

    async def verify(
        self, tenant: str | None = None, progress: VerifyProgress | None = None
    ) -> Verification:
        """Walk the hash chains of one tenant's events (or all)."""
        subjects = self._log.subjects
        subject_filter = subjects.tenant(tenant) if tenant else subjects.all_events()
        return await verify_log(self._log, subject_filter, progress)

    async def check_consistency(self, tenant: str, axes: TimeAxes = EVERYTHING) -> list[Difference]:
        """Replay the tenant and compare it, row for row, with the live models."""
        async with self._replayed(tenant, axes, None) as (replayed, conn):
            return await compare(conn, self._live_schema, replayed.schema, tenant)

    async def _answers(
        self, conn: asyncpg.Connection, schema: str, tenant: str, axes: TimeAxes
    ) -> Fields:
        """What the API would answer from ``schema``: scores, pace and the cascade."""
        if await conn.fetchval("SELECT to_regclass($1)", f'"{schema}".{GOALS}') is None:
            return {}  # read models never projected here: every answer counts as missing
        async with self._models(schema) as models:
            scores = await models.tenant_scores(tenant, axes.as_of)
            fields = score_fields(scores)
            for cycle in sorted({s.cycle_id for s in scores}):
                fields |= cascade_fields(await models.cycle_cascade(tenant, cycle, axes.as_of))
        return fields

    async def check(self, tenant: str, axes: TimeAxes) -> ConsistencyCheck:
        """The live answers at ``axes.as_of`` against a replay's, goal by goal and field by
        field: scores, pace, confidence, the cascade, and the stored rows beneath them."""
        async with self._replayed(tenant, axes, None) as (replayed, conn):
            rows = await compare(conn, self._live_schema, replayed.schema, tenant)
            sides = [
                await self._answers(conn, schema, tenant, axes)
                for schema in (self._live_schema, replayed.schema)
            ]
        live, replay = sides
        goals = {goal for goal, _ in live.keys() | replay.keys()}
        return ConsistencyCheck(
            tenant_id=tenant,
            as_of=axes.as_of,
            known_at=axes.known_at,
            goals_compared=len(goals),
            differences=tuple(field_differences(live, replay) + row_differences(rows)),
        )
