"""Runs integrations' progress reports through the command handler; keeps the refused ones."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from itertools import groupby

from services.application.answers import run_command, run_in_order
from services.application.handler import CommandHandler
from services.application.ingest.reports import (
    BadReport,
    IngestReply,
    MessageRefused,
    ReadReport,
    ReportOutcome,
    read_message,
    report_command,
)
from services.application.outcomes import record_report
from services.application.ports import DeadLetterKeeper
from services.domain.replies import Accepted, ErrorBody, Reply

log = logging.getLogger(__name__)
GOALS_IN_PARALLEL = 32
# Reports on one goal are stored as one atomic batch of at most this many events...
REPORTS_PER_APPEND = 100
# ...when there are at least this many: an atomic batch costs ~2.8 ms on nats-server
# 2.15.1 whatever its size (batches of one stream are committed one after another), a
# single append ~0.2 ms (measured; docs/benchmarks.md).
MIN_REPORTS_PER_BATCH = 16


class Ingestor:
    """Judges each report of a message on its own and answers for every one of them."""

    def __init__(
        self,
        handler: CommandHandler,
        dead_letters: DeadLetterKeeper,
        clock: Callable[[], datetime],
        goals_in_parallel: int = GOALS_IN_PARALLEL,
    ) -> None:
        self._handler = handler
        self._dead_letters = dead_letters
        self._clock = clock
        self._parallel = asyncio.Semaphore(goals_in_parallel)

    async def ingest(
        self,
        tenant: str,
        body: bytes,
        received_on: str,
        headers: Mapping[str, str] | None = None,
    ) -> IngestReply:
        """Apply the reports in ``body``; refused ones go to the dead-letter stream.

        Each report's answer is counted here, and the message traced (``headers``, the
        request's, may carry the caller's trace context), whatever transport brought it.
        """
        with self._handler.telemetry.tracing.handling("ingest progress", headers):
            return await self._ingest(tenant, body, received_on)

    async def _ingest(self, tenant: str, body: bytes, received_on: str) -> IngestReply:
        metrics = self._handler.telemetry.metrics
        received_at = self._clock()
        try:
            message = read_message(tenant, body)
        except MessageRefused as refusal:
            record_report(metrics, tenant, False, refusal.error.code)
            await self._keep(tenant, body, refusal.error, received_on, received_at, None)
            return IngestReply.refused(refusal.error)
        outcomes = [self._bad(item) for item in message.items if isinstance(item, BadReport)]
        good = [item for item in message.items if isinstance(item, ReadReport)]
        # Reports on one goal go in order (they contend for its version); goals in parallel.
        by_goal = sorted(good, key=_goal_of)
        groups = [list(group) for _, group in groupby(by_goal, key=_goal_of)]
        for group_outcomes in await asyncio.gather(
            *(self._apply_in_order(tenant, group, received_on) for group in groups)
        ):
            outcomes.extend(group_outcomes)
        for outcome in outcomes:
            code = None if outcome.error is None else outcome.error.code
            record_report(metrics, tenant, outcome.duplicate, code)
        errors = {o.index: o.error for o in outcomes if o.error is not None}
        for item in message.items:
            if item.index in errors:
                index = item.index if message.batch else None
                await self._keep(
                    tenant, item.raw, errors[item.index], received_on, received_at, index
                )
        return IngestReply.of(outcomes, message.batch)

    async def _apply_in_order(
        self, tenant: str, group: list[ReadReport], received_on: str
    ) -> list[ReportOutcome]:
        outcomes: list[ReportOutcome] = []
        async with self._parallel:
            for start in range(0, len(group), REPORTS_PER_APPEND):
                chunk = group[start : start + REPORTS_PER_APPEND]
                now = self._clock()
                commands = [report_command(item.report, tenant, now) for item in chunk]
                if len(commands) >= MIN_REPORTS_PER_BATCH:
                    replies = await run_in_order(self._handler, commands, received_on)
                else:
                    replies = [await run_command(self._handler, c, received_on) for c in commands]
                outcomes.extend(map(_outcome, chunk, replies))
        return outcomes

    @staticmethod
    def _bad(item: BadReport) -> ReportOutcome:
        return ReportOutcome(index=item.index, ok=False, error=item.error)

    async def _keep(
        self,
        tenant: str,
        raw: bytes,
        error: ErrorBody,
        received_on: str,
        received_at: datetime,
        index: int | None,
    ) -> None:
        try:
            await self._dead_letters.keep(tenant, raw, error, received_on, received_at, index)
        except Exception:
            # The sender still gets the refusal in its reply; the log says what was not kept.
            log.exception("could not dead-letter a refused report from %s", received_on)
        else:
            self._handler.telemetry.metrics.dead_letter_kept(error.code.value)


def _outcome(item: ReadReport, reply: Reply) -> ReportOutcome:
    if isinstance(reply, Accepted):
        event_id = reply.event_ids[0] if reply.event_ids else None
        return ReportOutcome(
            index=item.index, ok=True, duplicate=reply.duplicate, event_id=event_id
        )
    return ReportOutcome(index=item.index, ok=False, error=reply.error)


def _goal_of(item: ReadReport) -> tuple[str, str]:
    return item.report.goal_type.value, item.report.goal_id
