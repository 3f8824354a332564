"""Compares one tenant's live read models with a replay of them, row for row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import asyncpg

from projections.tables import PARKED
from projections.writer import check_schema

# Every table of a schema with a tenant_id column is a read model, but the parked tenants
# (the projector's own state) and a parallel replay's parts (children of a read model's
# table: their rows are read through it); a row is identified within its tenant by the
# table's primary key, tenant_id aside. Read from the catalog, so a new read model is
# compared unasked.
_READ_MODEL_TABLES = f"""
    SELECT c.relname AS name,
           array_agg(a.attname ORDER BY k.ord) FILTER (WHERE a.attname <> 'tenant_id') AS key
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
    WHERE i.indisprimary AND n.nspname = $1 AND c.relname <> '{PARKED}'
      AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = c.oid)
      AND EXISTS (SELECT 1 FROM pg_attribute t WHERE t.attrelid = c.oid
                  AND t.attname = 'tenant_id' AND NOT t.attisdropped)
    GROUP BY c.oid, c.relname
    ORDER BY c.oid"""


async def table_keys(conn: asyncpg.Connection, *schemas: str) -> dict[str, tuple[str, ...]]:
    """The read-model tables of ``schemas`` (all of them), each with its row key."""
    found: dict[str, tuple[str, ...]] = {}
    for schema in schemas:
        for r in await conn.fetch(_READ_MODEL_TABLES, schema):
            found.setdefault(r["name"], tuple(r["key"] or ()))
    return found


@dataclass(frozen=True)
class Difference:
    """One row that is not the same in both places."""

    table: str
    key: tuple[Any, ...]
    kind: Literal["only_live", "only_replay", "differs"]
    columns: tuple[str, ...] = ()
    goal: str | None = None  # "objective/o1": the goal the row belongs to, if it names one
    live: tuple[Any, ...] = ()  # the differing columns' values, live and replayed
    replay: tuple[Any, ...] = ()


def goal_of(row: dict[str, Any]) -> str | None:
    """The goal a read-model row belongs to, as ``type/id``, if its columns name one."""
    for kind, ident in (("goal_type", "goal_id"), ("child_type", "child_id")):
        if row.get(kind) and row.get(ident):
            return f"{row[kind]}/{row[ident]}"
    return f"objective/{row['objective_id']}" if row.get("objective_id") else None


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
    for table, key in (await table_keys(conn, live_schema, replay_schema)).items():
        live = await _rows(conn, live_schema, table, tenant, key)
        replayed = await _rows(conn, replay_schema, table, tenant, key)
        for row_key in sorted(live.keys() | replayed.keys(), key=repr):
            if row_key not in replayed:
                goal = goal_of(live[row_key])
                differences.append(Difference(table, row_key, "only_live", goal=goal))
            elif row_key not in live:
                goal = goal_of(replayed[row_key])
                differences.append(Difference(table, row_key, "only_replay", goal=goal))
            else:
                was, now = live[row_key], replayed[row_key]
                changed = tuple(c for c in was if was[c] != now[c])
                if changed:
                    differences.append(
                        Difference(
                            table,
                            row_key,
                            "differs",
                            changed,
                            goal_of(was),
                            tuple(was[c] for c in changed),
                            tuple(now[c] for c in changed),
                        )
                    )
    return differences
