"""Reads rows into the view and flushes a batch's changes, with asyncpg."""

from __future__ import annotations

from collections.abc import Iterable
from operator import attrgetter

import asyncpg

from events.values import Metric
from projections.apply import View
from projections.rows import Changes, GoalKey, GoalRow, KeyResultRow
from projections.tables import ALIGNMENTS, GOALS, KEY_RESULTS, KR_ADJUSTMENTS, PROGRESS

_GOAL_COLUMNS = (
    "tenant_id",
    "goal_type",
    "goal_id",
    "title",
    "level",
    "owner",
    "team",
    "cycle_id",
    "cycle_starts_on",
    "cycle_ends_on",
    "commitment",
    "status",
    "deadline",
    "metric",
    "personal",
    "value",
    "value_at",
    "confidence",
    "confidence_at",
    "score",
    "grade",
    "version",
    "created_at",
    "updated_at",
)
_KR_COLUMNS = (
    "tenant_id",
    "objective_id",
    "key_result_id",
    "position",
    "title",
    "weight",
    "metric",
    "owner",
    "value",
    "value_at",
    "confidence",
    "confidence_at",
    "score",
)
_PROGRESS_COLUMNS = (
    "stream_sequence",
    "tenant_id",
    "goal_type",
    "goal_id",
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
)
_ADJUSTMENT_COLUMNS = (
    "stream_sequence",
    "tenant_id",
    "objective_id",
    "key_result_id",
    "cycle_id",
    "mid_cycle",
    "actor",
    "occurred_at",
    "recorded_at",
    "reason",
    "changed_fields",
    "before",
    "after",
    "value_at_adjustment",
    "score_under_original",
    "score_under_revised",
)

# One C-level call per row instead of a generator over the columns (a row per event).
_progress_record = attrgetter(*_PROGRESS_COLUMNS)
_adjustment_record = attrgetter(*_ADJUSTMENT_COLUMNS)


def _upsert(table: str, columns: tuple[str, ...], key_len: int) -> str:
    names = ", ".join(columns)
    params = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns[key_len:])
    keys = ", ".join(columns[:key_len])
    return (
        f"INSERT INTO {table} ({names}) VALUES ({params}) "
        f"ON CONFLICT ({keys}) DO UPDATE SET {updates}"
    )


def _upsert_staged(table: str, stage: str, columns: tuple[str, ...], key_len: int) -> str:
    names = ", ".join(columns)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns[key_len:])
    keys = ", ".join(columns[:key_len])
    return (
        f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} "
        f"ON CONFLICT ({keys}) DO UPDATE SET {updates}"
    )


# A batch's changed rows are copied into a session's temporary table and merged with one
# statement: per row, COPY plus a set-based upsert cost a fraction of executemany's
# statement-per-row (each check-in changes a KR and its goal, so these are most rows).
_GOAL_STAGE = "okr_stage_goals"
_KR_STAGE = "okr_stage_key_results"
_UPSERT_GOALS = _upsert_staged(GOALS, _GOAL_STAGE, _GOAL_COLUMNS, 3)
_UPSERT_KRS = _upsert_staged(KEY_RESULTS, _KR_STAGE, _KR_COLUMNS, 3)
# Rows in fewer than this go in with executemany: one round trip instead of two.
_STAGE_FROM = 32
_UPSERT_GOAL = _upsert(GOALS, _GOAL_COLUMNS, 3)
_UPSERT_KR = _upsert(KEY_RESULTS, _KR_COLUMNS, 3)


async def prepare_staging(conn: asyncpg.Connection) -> None:
    """Create this session's staging tables (emptied at every commit); idempotent."""
    for table, stage in ((GOALS, _GOAL_STAGE), (KEY_RESULTS, _KR_STAGE)):
        await conn.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {table}) ON COMMIT DELETE ROWS"
        )


async def _merge(
    conn: asyncpg.Connection,
    records: list[tuple[object, ...]],
    single: str,
    stage: str,
    columns: tuple[str, ...],
    merge: str,
) -> None:
    if len(records) < _STAGE_FROM:
        await conn.executemany(single, records)
        return
    await conn.copy_records_to_table(stage, records=records, columns=list(columns))
    await conn.execute(merge)


def _metric_json(metric: Metric | None) -> str | None:
    return None if metric is None else metric.model_dump_json()


def _goal_record(g: GoalRow) -> tuple[object, ...]:
    return (
        g.tenant_id,
        g.goal_type,
        g.goal_id,
        g.title,
        g.level,
        g.owner,
        g.team,
        g.cycle_id,
        g.cycle_starts_on,
        g.cycle_ends_on,
        g.commitment,
        g.status,
        g.deadline,
        _metric_json(g.metric),
        g.personal,
        g.value,
        g.value_at,
        g.confidence,
        g.confidence_at,
        g.score,
        g.grade,
        g.version,
        g.created_at,
        g.updated_at,
    )


def _kr_record(k: KeyResultRow) -> tuple[object, ...]:
    return (
        k.tenant_id,
        k.objective_id,
        k.key_result_id,
        k.position,
        k.title,
        k.weight,
        k.metric.model_dump_json(),
        k.owner,
        k.value,
        k.value_at,
        k.confidence,
        k.confidence_at,
        k.score,
    )


async def preload(conn: asyncpg.Connection, view: View, keys: Iterable[GoalKey]) -> None:
    """Load into ``view`` the goals (and their key results) it does not hold yet."""
    missing = sorted({k for k in keys if k not in view.goals})
    if not missing:
        return
    tenants, types, ids = (list(col) for col in zip(*missing, strict=True))
    goals = await conn.fetch(
        f"SELECT {', '.join(_GOAL_COLUMNS)} FROM {GOALS} g JOIN unnest($1::text[], "
        "$2::text[], $3::text[]) AS k(t, y, i) ON g.tenant_id = k.t AND g.goal_type = k.y "
        "AND g.goal_id = k.i",
        tenants,
        types,
        ids,
    )
    krs = await conn.fetch(
        f"SELECT {', '.join(_KR_COLUMNS)} FROM {KEY_RESULTS} r JOIN unnest($1::text[], "
        "$2::text[]) AS k(t, i) ON r.tenant_id = k.t AND r.objective_id = k.i "
        "ORDER BY r.tenant_id, r.objective_id, r.position",
        tenants,
        ids,
    )
    for record in goals:
        fields = dict(record)
        metric = fields.pop("metric")
        row = GoalRow(
            **fields, metric=None if metric is None else Metric.model_validate_json(metric)
        )
        view.goals[row.key] = row
    for record in krs:
        fields = dict(record)
        row_kr = KeyResultRow(**{**fields, "metric": Metric.model_validate_json(fields["metric"])})
        view.key_results[row_kr.key] = row_kr
        goal = view.goals.get((row_kr.tenant_id, "objective", row_kr.objective_id))
        if goal is not None and row_kr.key_result_id not in goal.key_result_ids:
            goal.key_result_ids.append(row_kr.key_result_id)


async def flush(conn: asyncpg.Connection, changes: Changes) -> None:
    """Write one batch's changes (inside the batch's transaction, after prepare_staging)."""
    if changes.goals:
        goals = [_goal_record(g) for g in changes.goals.values()]
        await _merge(conn, goals, _UPSERT_GOAL, _GOAL_STAGE, _GOAL_COLUMNS, _UPSERT_GOALS)
    if changes.key_results:
        krs = [_kr_record(k) for k in changes.key_results.values()]
        await _merge(conn, krs, _UPSERT_KR, _KR_STAGE, _KR_COLUMNS, _UPSERT_KRS)
    if changes.progress:
        await conn.copy_records_to_table(
            PROGRESS,
            records=[_progress_record(p) for p in changes.progress],
            columns=list(_PROGRESS_COLUMNS),
        )
    if changes.adjustments:
        await conn.copy_records_to_table(
            KR_ADJUSTMENTS,
            records=[_adjustment_record(a) for a in changes.adjustments],
            columns=list(_ADJUSTMENT_COLUMNS),
        )
    if changes.unaligned:
        await conn.executemany(
            f"DELETE FROM {ALIGNMENTS} WHERE tenant_id = $1 AND child_type = $2 AND "
            "child_id = $3 AND parent_objective_id = $4 AND parent_key_result_id = $5",
            list(changes.unaligned),
        )
    if changes.aligned:
        await conn.executemany(
            f"INSERT INTO {ALIGNMENTS} (tenant_id, child_type, child_id, parent_objective_id,"
            " parent_key_result_id, aligned_at) VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT DO NOTHING",
            [(*key, at) for key, at in changes.aligned.items()],
        )
