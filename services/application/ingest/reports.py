"""The inbound contract of integrations: progress reports, their parsing and their replies.

Pure: no I/O, no clock. A message holds one report, or ``{"reports": [...]}``; each report
is judged on its own, so one bad report in a batch does not hold back the others.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import Field, ValidationError

from events.subjects import TOKEN_PATTERN, is_token
from events.values import Frozen, GoalType, Token
from services.application.codec import violations_of
from services.application.untrusted_json import (
    UnreadableJson,
    may_hold_unstorable,
    read_json,
    unstorable_text,
)
from services.domain.bounds import Magnitude, WindowInstant
from services.domain.commands import CommandMeta, ReportProgress
from services.domain.errors import ErrorCode, Violation
from services.domain.ids import ReportName
from services.domain.replies import ErrorBody

MAX_INGEST_BYTES = 512 * 1024
MAX_BATCH_REPORTS = 1000


class ProgressReport(Frozen):
    """One value of a key result (or of a SMART goal's metric) as an integration observed it."""

    goal_type: GoalType
    goal_id: Token
    key_result_id: Token | None = Field(
        default=None, description="the KR of an objective; omitted for a SMART goal"
    )
    value: Magnitude = Field(description="in the metric's unit; NaN and infinity are refused")
    source: Token = Field(description="the integration, e.g. 'jira'")
    idempotency_key: str = Field(
        min_length=1,
        max_length=200,
        description="the integration's own key: the same (source, key) on a goal counts once",
    )
    observed_at: WindowInstant = Field(description="when the integration saw the value")
    correlation_id: UUID | None = None


class ProgressBatch(Frozen):
    """Several reports in one message or request (each is judged on its own)."""

    reports: list[ProgressReport] = Field(min_length=1, max_length=MAX_BATCH_REPORTS)


class ReportOutcome(Frozen):
    """What became of one report of a message."""

    index: int = Field(description="position in the batch (0 for a single report)")
    ok: bool
    duplicate: bool = Field(default=False, description="counted before; nothing new stored")
    event_id: UUID | None = None
    error: ErrorBody | None = None


class IngestReply(Frozen):
    """The answer to one message: counts, one outcome per report, or why none was read."""

    ok: bool = Field(description="every report was accepted (or had been already)")
    batch: bool = Field(default=False, description='the message was {"reports": [...]}')
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    results: tuple[ReportOutcome, ...] = ()
    error: ErrorBody | None = Field(
        default=None, description="set when the message as a whole could not be read"
    )

    @classmethod
    def of(cls, results: list[ReportOutcome], batch: bool) -> IngestReply:
        """Tally ``results`` (in batch order)."""
        ordered = tuple(sorted(results, key=lambda r: r.index))
        rejected = sum(not r.ok for r in ordered)
        return cls(
            ok=rejected == 0,
            batch=batch,
            accepted=sum(r.ok and not r.duplicate for r in ordered),
            duplicates=sum(r.duplicate for r in ordered),
            rejected=rejected,
            results=ordered,
        )

    @classmethod
    def refused(cls, error: ErrorBody) -> IngestReply:
        """The message could not be read at all."""
        return cls(ok=False, error=error)


class MessageRefused(Exception):
    """The message as a whole is unreadable (too large, not JSON, not a report or batch)."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.error = ErrorBody(code=code, message=message, retryable=False)


@dataclass(frozen=True)
class Sent:
    """A report as it came: the message's bytes for a bare report, else the batch's item,
    encoded only when asked (a refused report is kept as bytes; most never are)."""

    item: Any
    body: bytes | None = None

    @property
    def raw(self) -> bytes:
        """The report's own bytes."""
        if self.body is not None:
            return self.body
        return json.dumps(self.item, separators=(",", ":")).encode()


@dataclass(frozen=True)
class ReadReport:
    """A report that fits the contract, with its position and what was sent."""

    index: int
    report: ProgressReport
    sent: Sent

    @property
    def raw(self) -> bytes:
        """The report's own bytes."""
        return self.sent.raw


@dataclass(frozen=True)
class BadReport:
    """A report that does not fit the contract, with why, its position and what was sent."""

    index: int
    error: ErrorBody
    sent: Sent

    @property
    def raw(self) -> bytes:
        """The report's own bytes."""
        return self.sent.raw


def _read_item(
    index: int, item: Any, sent: Sent, may_hold_unstorable: bool
) -> ReadReport | BadReport:
    unstorable = unstorable_text(item) if may_hold_unstorable else ()
    if unstorable:
        return BadReport(
            index, _invalid("the report holds text that cannot be stored", unstorable), sent
        )
    try:
        return ReadReport(index, ProgressReport.model_validate(item), sent)
    except ValidationError as exc:
        message = f"the report does not fit the contract ({exc.error_count()} problems)"
        return BadReport(index, _invalid(message, violations_of(exc, whole="report")), sent)


def _invalid(message: str, violations: tuple[Violation, ...]) -> ErrorBody:
    return ErrorBody(
        code=ErrorCode.INVALID_REPORT, message=message, violations=violations, retryable=False
    )


@dataclass(frozen=True)
class ReadMessage:
    """A message split into its reports; ``batch`` unless it was one bare report."""

    batch: bool
    items: list[ReadReport | BadReport]


def read_message(tenant: str, body: bytes) -> ReadMessage:
    """Split a message into its reports, each read or refused; raise MessageRefused if none
    can be read (or the tenant is not a valid token)."""
    if not is_token(tenant):
        raise MessageRefused(
            ErrorCode.MALFORMED_REQUEST, f"tenant {tenant!r} must match {TOKEN_PATTERN}"
        )
    if len(body) > MAX_INGEST_BYTES:
        raise MessageRefused(
            ErrorCode.TOO_LARGE,
            f"the message is {len(body)} bytes; the limit is {MAX_INGEST_BYTES}",
        )
    try:
        # NaN/Infinity and lone surrogates are read here so that the report's own checks
        # name the problem (value must be finite, text storable) and the rest of a batch
        # still counts.
        data = read_json(body)
    except UnreadableJson as exc:
        raise MessageRefused(ErrorCode.MALFORMED_REQUEST, str(exc)) from None
    if not isinstance(data, dict):
        raise MessageRefused(
            ErrorCode.MALFORMED_REQUEST, 'expected one report or {"reports": [...]} (an object)'
        )
    escapes = may_hold_unstorable(body)
    if "reports" not in data:
        return ReadMessage(batch=False, items=[_read_item(0, data, Sent(data, body), escapes)])
    items = data["reports"]
    if set(data) != {"reports"} or not isinstance(items, list) or not items:
        raise MessageRefused(
            ErrorCode.MALFORMED_REQUEST, 'a batch is {"reports": [...]} with at least one report'
        )
    if len(items) > MAX_BATCH_REPORTS:
        raise MessageRefused(
            ErrorCode.TOO_LARGE,
            f"the batch holds {len(items)} reports; the limit is {MAX_BATCH_REPORTS}",
        )
    return ReadMessage(
        batch=True,
        items=[_read_item(index, item, Sent(item), escapes) for index, item in enumerate(items)],
    )


def report_actor(source: str) -> str:
    """Who a report is recorded as caused by, whichever transport brought it."""
    return f"integration:{source}"


def report_command(report: ProgressReport, tenant: str, now: datetime) -> ReportProgress:
    """The command a report becomes; its id derives from the report's identity, so a resend
    (even long after the dedupe window, even with other values) is recognised. The actor
    is the integration named by ``source``: no header or field lets a sender choose it."""
    name = ReportName(
        tenant, report.goal_type.value, report.goal_id, report.source, report.idempotency_key
    )
    return ReportProgress(
        meta=CommandMeta(
            tenant_id=tenant,
            actor=report_actor(report.source),
            now=now,
            command_id=name.command_id,
            correlation_id=report.correlation_id,
        ),
        goal_type=report.goal_type,
        goal_id=report.goal_id,
        key_result_id=report.key_result_id,
        source=report.source,
        idempotency_key=report.idempotency_key,
        value=report.value,
        observed_at=report.observed_at,
    )
