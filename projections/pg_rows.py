"""Reads rows into the view and flushes a batch's changes, with asyncpg."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import attrgetter

import asyncpg

from events.envelope import StoredEvent
from events.scoring_policy import ScoringPolicySet as Policy
from events.values import Metric
from projections.observation import Observation
from projections.read_models import scoring_policies
from projections.read_models.columns import columns_of, upsert, upsert_staged
from projections.rows import Changes, GoalKey, GoalRow, KeyResultRow
from projections.tables import ALIGNMENTS, GOALS, KEY_RESULTS
from projections.view import View

_GOAL_COLUMNS = columns_of(GoalRow, leave_out=("key_result_ids",))
_KR_COLUMNS = columns_of(KeyResultRow)
_GOAL_METRIC = _GOAL_COLUMNS.index("metric")
_KR_METRIC = _KR_COLUMNS.index("metric")
_goal_fields = attrgetter(*_GOAL_COLUMNS)
_kr_fields = attrgetter(*_KR_COLUMNS)


# A batch's changed rows are copied into a session's temporary table and merged with one
# statement: per row, COPY plus a set-based upsert cost a fraction of executemany's
# statement-per-row (each check-in changes a KR and its goal, so these are most rows).
_GOAL_STAGE = "okr_stage_goals"
_KR_STAGE = "okr_stage_key_results"
_UPSERT_GOALS = upsert_staged(GOALS, _GOAL_STAGE, _GOAL_COLUMNS, 3)
_UPSERT_KRS = upsert_staged(KEY_RESULTS, _KR_STAGE, _KR_COLUMNS, 3)
# Rows in fewer than this go in with executemany: one round trip instead of two.
_STAGE_FROM = 32
_UPSERT_GOAL = upsert(GOALS, _GOAL_COLUMNS, 3)
_UPSERT_KR = upsert(KEY_RESULTS, _KR_COLUMNS, 3)


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
    record = _goal_fields(g)
    return (*record[:_GOAL_METRIC], _metric_json(g.metric), *record[_GOAL_METRIC + 1 :])


def _kr_record(k: KeyResultRow) -> tuple[object, ...]:
    record = _kr_fields(k)
    return (*record[:_KR_METRIC], k.metric.model_dump_json(), *record[_KR_METRIC + 1 :])


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
    _hold(view, goals, krs)


async def preload_tenant(conn: asyncpg.Connection, view: View, tenant: str) -> None:
    """Load into ``view`` every goal of ``tenant`` it does not hold yet (a policy change)."""
    goals = await conn.fetch(
        f"SELECT {', '.join(_GOAL_COLUMNS)} FROM {GOALS} WHERE tenant_id = $1", tenant
    )
    krs = await conn.fetch(
        f"SELECT {', '.join(_KR_COLUMNS)} FROM {KEY_RESULTS} WHERE tenant_id = $1"
        " ORDER BY objective_id, position",
        tenant,
    )
    _hold(view, goals, krs)


async def preload_policies(
    conn: asyncpg.Connection, view: View, events: Sequence[StoredEvent | Observation]
) -> None:
    """Load into ``view`` the scoring policy of each tenant of ``events`` it has not looked
    up yet, and every goal of a tenant whose policy one of them changes."""
    stored = [e for e in events if type(e) is StoredEvent]
    tenants = {e.tenant_id for e in events if type(e) is Observation}
    missing = (tenants | {e.envelope.tenant_id for e in stored}) - view.policies.keys()
    if missing:
        found = await scoring_policies.current(conn, missing)
        for tenant in missing:
            view.policies[tenant] = found.get(tenant)
    changing = {e.envelope.tenant_id for e in stored if type(e.envelope.payload) is Policy}
    for tenant in sorted(changing):
        await preload_tenant(conn, view, tenant)


def _hold(view: View, goals: list[asyncpg.Record], krs: list[asyncpg.Record]) -> None:
    """Keep the loaded rows the view does not hold yet (its own may be newer)."""
    for record in goals:
        fields = dict(record)
        metric = fields.pop("metric")
        row = GoalRow(
            **fields, metric=None if metric is None else Metric.model_validate_json(metric)
        )
        view.goals.setdefault(row.key, row)
    for record in krs:
        fields = dict(record)
        row_kr = KeyResultRow(**{**fields, "metric": Metric.model_validate_json(fields["metric"])})
        if row_kr.key in view.key_results:
            continue
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
    for model, rows in changes.appended.items():
        await model.append(conn, rows)
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
