"""The auditor's operations: report a cycle as of an instant, verify the log, check the models."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import asyncpg

from projections.audit.build import ReportFold, report_of
from projections.audit.consistency import Difference, compare
from projections.audit.replay import Basis, Consumer, Progress, Replayed, replay_tenant
from projections.audit.report import AuditReport, SkippedEvent
from projections.audit.verify import Progress as VerifyProgress
from projections.audit.verify import Verification, verify_log
from projections.consumer import EventLog
from projections.queries import ReadModels
from projections.scoring import DEFAULT_POLICY, ScoringPolicy
from projections.views import GoalScore
from services.adapters import database
from services.settings import DatabaseTimeouts

# Far enough ahead that a replay "as of the end of time" includes everything stored.
END_OF_TIME = datetime.fromisoformat("9999-01-01T00:00:00+00:00")


class Auditor:
    """Replays into throw-away schemas; never writes to the live read models."""

    def __init__(
        self,
        event_log: EventLog,
        database_url: str,
        live_schema: str,
        policy: ScoringPolicy = DEFAULT_POLICY,
        replay_prefix: str = "replay_",
        timeouts: DatabaseTimeouts | None = None,
    ) -> None:
        self._timeouts = timeouts or DatabaseTimeouts()
        self._replay_prefix = replay_prefix
        self._log = event_log
        self._database_url = database_url
        self._live_schema = live_schema
        self._policy = policy

    @asynccontextmanager
    async def _replayed(
        self,
        tenant: str,
        as_of: datetime,
        basis: Basis,
        progress: Progress | None,
        consumer: Consumer | None = None,
    ) -> AsyncIterator[tuple[Replayed, asyncpg.Connection]]:
        schema = f"{self._replay_prefix}{uuid.uuid4().hex[:16]}"
        conn = await database.connect(self._database_url, self._timeouts)
        try:
            replayed = await replay_tenant(
                self._log, conn, tenant, as_of, basis, schema, self._policy, progress, consumer
            )
            yield replayed, conn
        finally:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            await conn.close()

    async def report(
        self,
        tenant: str,
        cycle_id: str,
        as_of: datetime,
        basis: Basis = "recorded",
        progress: Progress | None = None,
    ) -> AuditReport:
        """The cycle as the log says it stood at ``as_of``."""
        fold = ReportFold(self._policy)  # the histories, folded as the replay streams by
        async with self._replayed(tenant, as_of, basis, progress, fold.feed) as (replayed, _):
            # The replay's scores come from the same queries (and scoring) as the live ones.
            pool = await database.read_pool(
                self._database_url, self._timeouts, replayed.schema, max_size=2
            )
            try:
                models = ReadModels(pool, self._policy, self._timeouts.acquire_s)
                scores = await models.cycle_scores(tenant, cycle_id, as_of)
            finally:
                await pool.close()
        by_goal: dict[tuple[str, str], GoalScore] = {(s.goal_type, s.goal_id): s for s in scores}
        report = report_of(fold, tenant, cycle_id, as_of, basis, by_goal)
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

    async def check_consistency(self, tenant: str) -> list[Difference]:
        """Replay the tenant to now and compare it, row for row, with the live models."""
        async with self._replayed(tenant, END_OF_TIME, "recorded", None) as (replayed, conn):
            return await compare(conn, self._live_schema, replayed.schema, tenant)
