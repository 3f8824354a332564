"""The progress history read model: every check-in and integration report of a goal."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from pydantic import Field

from projections.observation import Kind, Observation
from projections.parking import Queryable
from projections.read_models.history import History
from projections.views import View

TABLE: Final = "progress_entries"


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


# Rows are built as tuples in the table's column order: one per event, and a validated
# ProgressEntry per row cost more than the rest of applying a check-in (measured).
MODEL: Final[History[Any]] = History(TABLE, ProgressEntry, tuples=True)
_ORDER: Final = (
    "stream_sequence",
    "key_result_id",
    "kind",
    "value",
    "confidence",
    "note",
    "source",
    "idempotency_key",
    "applies_at",
    "occurred_at",
    "recorded_at",
    "actor",
    "superseded",
    "tenant_id",
    "goal_type",
    "goal_id",
)
if MODEL.columns != _ORDER:  # progress_record below writes them in this order
    raise TypeError(f"{TABLE} columns are {MODEL.columns}, progress_record writes {_ORDER}")


def progress_record(o: Observation, superseded: bool) -> tuple[object, ...]:
    """The history row of one observation (no KR is stored as ''), in column order."""
    return (
        o.stream_sequence,
        o.key_result_id or "",
        o.kind,
        o.value,
        o.confidence,
        o.note,
        o.source,
        o.idempotency_key,
        o.at,
        o.occurred_at,
        o.recorded_at,
        o.actor,
        superseded,
        o.tenant_id,
        o.goal_type,
        o.goal_id,
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
