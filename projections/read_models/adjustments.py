"""The KR adjustments read model: each change to a key result, scored both ways."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Final

from events.envelope import StoredEvent
from events.objectives import KeyResultAdjusted
from projections.parking import Queryable
from projections.read_models.history import History
from projections.views import View

TABLE: Final = "key_result_adjustments"


class AdjustmentEntry(View):
    """One change to a KR's terms."""

    stream_sequence: int
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    reason: str | None
    mid_cycle: bool
    changed_fields: tuple[str, ...]
    before: dict[str, Any]
    after: dict[str, Any]
    value_at_adjustment: float | None
    score_under_original: float | None
    score_under_revised: float | None


class AdjustmentView(AdjustmentEntry):
    """One change to a key result, with its score under the original and revised terms."""

    objective_id: str
    key_result_id: str
    cycle_id: str


class Adjustment(AdjustmentView):
    """A row of the table: the view, and its tenant."""

    tenant_id: str


_JSON = frozenset({"before", "after"})


def _record(a: Adjustment) -> tuple[object, ...]:
    return tuple(json.dumps(v) if name in _JSON else v for name, v in a)


MODEL: Final = History(TABLE, Adjustment, _record)


def adjustment_entry(
    stored: StoredEvent,
    p: KeyResultAdjusted,
    value: float | None,
    original: float | None,
    revised: float | None,
) -> AdjustmentEntry:
    """One adjustment event, with the KR's value then and its score under both terms."""
    e = stored.envelope
    return AdjustmentEntry(
        stream_sequence=stored.stream_sequence,
        occurred_at=e.occurred_at,
        recorded_at=e.recorded_at,
        actor=e.actor,
        reason=p.reason,
        mid_cycle=p.mid_cycle,
        changed_fields=p.changed_fields,
        before=p.before.model_dump(mode="json"),
        after=p.after.model_dump(mode="json"),
        value_at_adjustment=value,
        score_under_original=original,
        score_under_revised=revised,
    )


async def matching(
    conn: Queryable,
    tenant: str,
    cycle_id: str | None = None,
    objective_id: str | None = None,
    actor: str | None = None,
) -> list[AdjustmentView]:
    """KR adjustments, filtered by cycle, goal and/or person, in stream order."""
    rows = await conn.fetch(
        f"SELECT * FROM {TABLE} WHERE tenant_id = $1"
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
