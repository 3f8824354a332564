"""The progress history read model: every check-in and integration report of a goal."""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

from pydantic import Field

from events.envelope import StoredEvent
from projections.parking import Queryable
from projections.read_models.history import History
from projections.views import View

TABLE: Final = "progress_entries"

Kind = Literal["check_in", "progress"]


class ProgressView(View):
    """One check-in or integration report."""

    stream_sequence: int
    key_result_id: str | None
    kind: Kind
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


class ProgressEntry(ProgressView):
    """A row of the table: the view, and the goal it belongs to (no KR is stored as '')."""

    tenant_id: str
    goal_type: str
    goal_id: str


MODEL: Final = History(TABLE, ProgressEntry)


def progress_entry(
    stored: StoredEvent,
    kind: Kind,
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


async def history(conn: Queryable, tenant: str, goal_type: str, goal_id: str) -> list[ProgressView]:
    """Every check-in and report of a goal, in the order they apply."""
    rows = await conn.fetch(
        f"SELECT * FROM {TABLE} WHERE tenant_id = $1 AND goal_type = $2 AND"
        " goal_id = $3 ORDER BY applies_at, stream_sequence",
        tenant,
        goal_type,
        goal_id,
    )
    return [ProgressView(**{**dict(r), "key_result_id": r["key_result_id"] or None}) for r in rows]
