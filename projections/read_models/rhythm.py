"""The facts the rhythm and hygiene rules read: goals with their key results, latest
check-in, alignment and the cadence in force, loaded from the read models."""

from __future__ import annotations

import json
from datetime import datetime

import asyncpg

from events.values import Metric, MetricKind
from projections.cadence.facts import GoalFacts, KeyResultFacts
from projections.parking import Queryable
from projections.read_models import progress
from projections.read_models.tenant_settings import TenantSettings, settings_in_force
from projections.tables import ALIGNMENTS, GOALS, KEY_RESULTS

_GOALS = f"""
SELECT g.tenant_id, g.goal_type, g.goal_id, g.title, g.level, g.owner, g.team, g.cycle_id,
       g.cycle_starts_on, g.cycle_ends_on, g.status, g.created_at, g.metric, g.personal,
       (SELECT max(p.occurred_at) FROM {progress.TABLE} p
         WHERE p.tenant_id = g.tenant_id AND p.goal_type = g.goal_type
           AND p.goal_id = g.goal_id AND p.kind = 'check_in' AND p.occurred_at <= $1)
         AS last_check_in_at,
       EXISTS (SELECT 1 FROM {ALIGNMENTS} a WHERE a.tenant_id = g.tenant_id
               AND a.child_type = g.goal_type AND a.child_id = g.goal_id) AS aligned
  FROM {GOALS} g
 WHERE g.status IN ('draft', 'active') AND g.created_at <= $1
   AND ($2::text IS NULL OR g.tenant_id = $2) AND ($3::text IS NULL OR g.cycle_id = $3)
 ORDER BY g.tenant_id, g.owner, g.goal_type, g.goal_id
"""

_KEY_RESULTS = f"""
SELECT k.tenant_id, k.objective_id, k.key_result_id, k.title, k.metric->>'kind' AS kind
  FROM {KEY_RESULTS} k JOIN unnest($1::text[], $2::text[]) AS o(t, i)
    ON k.tenant_id = o.t AND k.objective_id = o.i
 ORDER BY k.tenant_id, k.objective_id, k.position
"""


async def open_goals(
    conn: Queryable, as_of: datetime, tenant: str | None = None, cycle_id: str | None = None
) -> tuple[list[GoalFacts], dict[str, TenantSettings]]:
    """Every draft or active goal known at ``as_of`` (of one tenant and cycle when named),
    with the settings in force for its tenant."""
    rows = await conn.fetch(_GOALS, as_of, tenant, cycle_id)
    objectives = [(r["tenant_id"], r["goal_id"]) for r in rows if r["goal_type"] == "objective"]
    key_results: dict[tuple[str, str], list[KeyResultFacts]] = {}
    if objectives:
        for kr in await conn.fetch(
            _KEY_RESULTS, [o[0] for o in objectives], [o[1] for o in objectives]
        ):
            key_results.setdefault((kr["tenant_id"], kr["objective_id"]), []).append(
                KeyResultFacts(kr["key_result_id"], kr["title"], MetricKind(kr["kind"]))
            )
    tenants = sorted({r["tenant_id"] for r in rows})
    settings = await settings_in_force(conn, tenants, as_of) if tenants else {}
    return [_facts(r, key_results, settings) for r in rows], settings


def _facts(
    row: asyncpg.Record,
    key_results: dict[tuple[str, str], list[KeyResultFacts]],
    settings: dict[str, TenantSettings],
) -> GoalFacts:
    get = row.__getitem__
    tenant, goal_type, goal_id = get("tenant_id"), get("goal_type"), get("goal_id")
    metric = get("metric")
    krs = key_results.get((tenant, goal_id), []) if goal_type == "objective" else []
    return GoalFacts(
        tenant_id=tenant,
        goal_type=goal_type,
        goal_id=goal_id,
        title=get("title"),
        level=get("level"),
        owner=get("owner"),
        team=get("team"),
        cycle_id=get("cycle_id"),
        cycle_starts_on=get("cycle_starts_on"),
        cycle_ends_on=get("cycle_ends_on"),
        status=get("status"),
        created_at=get("created_at"),
        cadence=settings.get(tenant, TenantSettings()).cadence_for(goal_type, goal_id),
        last_check_in_at=get("last_check_in_at"),
        metric=None if metric is None else Metric.model_validate(json.loads(metric)),
        personal=get("personal"),
        aligned=get("aligned"),
        key_results=tuple(krs),
    )
