"""Compares one tenant's live read models with a replay of them, row for row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import asyncpg

from projections.tables import ALIGNMENTS, GOALS, KEY_RESULTS, KR_ADJUSTMENTS, PROGRESS
from projections.writer import check_schema

# Each read-model table with the columns that identify a row within a tenant.
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    GOALS: ("goal_type", "goal_id"),
    KEY_RESULTS: ("objective_id", "key_result_id"),
    ALIGNMENTS: ("child_type", "child_id", "parent_objective_id", "parent_key_result_id"),
    PROGRESS: ("stream_sequence",),
    KR_ADJUSTMENTS: ("stream_sequence",),
}


@dataclass(frozen=True)
class Difference:
    """One row that is not the same in both places."""

    table: str
    key: tuple[Any, ...]
    kind: Literal["only_live", "only_replay", "differs"]
    columns: tuple[str, ...] = ()


async def _rows(
    conn: asyncpg.Connection, schema: str, table: str, tenant: str, key: tuple[str, ...]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    if await conn.fetchval("SELECT to_regclass($1)", f'"{schema}".{table}') is None:
        return {}  # read models never projected here: every row counts as missing
    records = await conn.fetch(f'SELECT * FROM "{schema}".{table} WHERE tenant_id = $1', tenant)
    return {tuple(r[c] for c in key): dict(r) for r in records}


async def compare(
    conn: asyncpg.Connection, live_schema: str, replay_schema: str, tenant: str
) -> list[Difference]:
    """Every row of the tenant that differs between the live and the replayed models."""
    check_schema(live_schema)
    check_schema(replay_schema)
    differences: list[Difference] = []
    for table, key in TABLE_KEYS.items():
        live = await _rows(conn, live_schema, table, tenant, key)
        replayed = await _rows(conn, replay_schema, table, tenant, key)
        for row_key in sorted(live.keys() | replayed.keys(), key=repr):
            if row_key not in replayed:
                differences.append(Difference(table, row_key, "only_live"))
            elif row_key not in live:
                differences.append(Difference(table, row_key, "only_replay"))
            else:
                changed = tuple(
                    c for c in live[row_key] if live[row_key][c] != replayed[row_key][c]
                )
                if changed:
                    differences.append(Difference(table, row_key, "differs", changed))
    return differences
