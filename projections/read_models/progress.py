"""The progress history read model: every check-in and integration report of a goal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Literal

import asyncpg
from pydantic import Field

from events.envelope import StoredEvent
from projections.parking import Queryable
from projections.read_models.columns import columns_of
from projections.tables import PROGRESS
from projections.views import View


@dataclass(frozen=True)
class ProgressEntry:
    """One check-in or integration report, as history (a row of the table)."""

    stream_sequence: int
    tenant_id: str
    goal_type: str
    goal_id: str
    key_result_id: str
    kind: str
    value: float
    confidence: float | None
    note: str
    source: str | None
    idempotency_key: str | None
    applies_at: datetime
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    superseded: bool


class ProgressView(View):
    """One check-in or integration report."""

    stream_sequence: int
    key_result_id: str | None
    kind: Literal["check_in", "progress"]
    value: float
    confidence: float | None
    note: str
    source: str | None
    idempotency_key: str | None
    applies_at: datetime
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    superseded: bool = Field(description="a newer observation was already known when it arrived")


def progress_entry(
    stored: StoredEvent,
    kind: str,
    kr_id: str | None,
    value: float,
    confidence: float | None,
    note: str,
    source: str | None,
    key: str | None,
    at: datetime,
    superseded: bool,
) -> ProgressEntry:
    """The history row of one observation event."""
    e = stored.envelope
    return ProgressEntry(
        stream_sequence=stored.stream_sequence,
        tenant_id=e.tenant_id,
        goal_type=e.aggregate_type.value,
        goal_id=e.aggregate_id,
        key_result_id=kr_id or "",
        kind=kind,
        value=value,
        confidence=confidence,
        note=note,
        source=source,
        idempotency_key=key,
        applies_at=at,
        occurred_at=e.occurred_at,
        recorded_at=e.recorded_at,
        actor=e.actor,
        superseded=superseded,
    )


COLUMNS = columns_of(ProgressEntry)
# One C-level call per row instead of a generator over the columns (a row per event).
_record = attrgetter(*COLUMNS)


async def append(conn: asyncpg.Connection, entries: list[ProgressEntry]) -> None:
    """Add a batch's entries (inside its transaction)."""
    await conn.copy_records_to_table(
        PROGRESS, records=[_record(p) for p in entries], columns=list(COLUMNS)
    )


async def history(conn: Queryable, tenant: str, goal_type: str, goal_id: str) -> list[ProgressView]:
    """Every check-in and report of a goal, in the order they apply."""
    rows = await conn.fetch(
        f"SELECT * FROM {PROGRESS} WHERE tenant_id = $1 AND goal_type = $2 AND"
        " goal_id = $3 ORDER BY applies_at, stream_sequence",
        tenant,
        goal_type,
        goal_id,
    )
    return [ProgressView(**{**dict(r), "key_result_id": r["key_result_id"] or None}) for r in rows]
