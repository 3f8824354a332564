"""The KR adjustments read model: each change to a key result, scored both ways."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any

import asyncpg

from projections.parking import Queryable
from projections.read_models.columns import columns_of
from projections.tables import KR_ADJUSTMENTS
from projections.views import View


@dataclass(frozen=True)
class Adjustment:
    """One KR adjustment with its score under the original and the revised terms (a row)."""

    stream_sequence: int
    tenant_id: str
    objective_id: str
    key_result_id: str
    cycle_id: str
    mid_cycle: bool
    actor: str
    occurred_at: datetime
    recorded_at: datetime
    reason: str | None
    changed_fields: list[str]
    before: str
    after: str
    value_at_adjustment: float | None
    score_under_original: float | None
    score_under_revised: float | None


class AdjustmentView(View):
    """One change to a key result, with its score under the original and revised terms."""

    stream_sequence: int
    objective_id: str
    key_result_id: str
    cycle_id: str
    mid_cycle: bool
    actor: str
    occurred_at: datetime
    recorded_at: datetime
    reason: str | None
    changed_fields: tuple[str, ...]
    before: dict[str, Any]
    after: dict[str, Any]
    value_at_adjustment: float | None
    score_under_original: float | None
    score_under_revised: float | None


COLUMNS = columns_of(Adjustment)
_record = attrgetter(*COLUMNS)


async def append(conn: asyncpg.Connection, adjustments: list[Adjustment]) -> None:
    """Add a batch's adjustments (inside its transaction)."""
    await conn.copy_records_to_table(
        KR_ADJUSTMENTS, records=[_record(a) for a in adjustments], columns=list(COLUMNS)
    )


async def matching(
    conn: Queryable,
    tenant: str,
    cycle_id: str | None,
    objective_id: str | None,
    actor: str | None,
) -> list[AdjustmentView]:
    """KR adjustments, filtered by cycle, goal and/or person, in stream order."""
    rows = await conn.fetch(
        f"SELECT * FROM {KR_ADJUSTMENTS} WHERE tenant_id = $1"
        " AND ($2::text IS NULL OR cycle_id = $2)"
        " AND ($3::text IS NULL OR objective_id = $3)"
        " AND ($4::text IS NULL OR actor = $4) ORDER BY stream_sequence",
        tenant,
        cycle_id,
        objective_id,
        actor,
    )
    return [
        AdjustmentView(
            **{
                **dict(r),
                "before": json.loads(r["before"]),
                "after": json.loads(r["after"]),
                "changed_fields": tuple(r["changed_fields"]),
            }
        )
        for r in rows
    ]
