"""Erasure in the live read models: a data subject's texts become ``[erased]``.

Which rows hold a subject's texts follows ``events.personal.data_subject_of``: every text
of an individual-level goal is its owner's; on a team or company goal only what a person
wrote (notes, reasons) is personal, and it is its author's (the row's actor). Scores,
values, ids and times are left as they are.
"""

from __future__ import annotations

import asyncpg

from events.personal import ERASED
from projections.read_models import adjustments, progress, scoring_policies
from projections.tables import GOALS, KEY_RESULTS

# $1 tenant, $2 subject, $3 the placeholder
_SUBJECTS_TEXT = (
    "((g.level = 'individual' AND g.owner = $2) OR (g.level <> 'individual' AND {actor} = $2))"
)
_STATEMENTS = (
    f"UPDATE {GOALS} SET title = $3"
    " WHERE tenant_id = $1 AND owner = $2 AND level = 'individual' AND title <> $3",
    f"UPDATE {KEY_RESULTS} k SET title = $3 FROM {GOALS} g"
    " WHERE g.tenant_id = $1 AND g.owner = $2 AND g.level = 'individual'"
    " AND g.goal_type = 'objective' AND k.tenant_id = g.tenant_id"
    " AND k.objective_id = g.goal_id AND k.title <> $3",
    f"UPDATE {progress.TABLE} p SET note = $3 FROM {GOALS} g"
    " WHERE p.tenant_id = $1 AND g.tenant_id = p.tenant_id AND g.goal_type = p.goal_type"
    " AND g.goal_id = p.goal_id AND p.note <> '' AND p.note <> $3 AND "
    + _SUBJECTS_TEXT.format(actor="p.actor"),
    f"UPDATE {adjustments.TABLE} a SET"
    " reason = CASE WHEN coalesce(a.reason, '') = '' THEN a.reason ELSE $3 END,"
    " before = CASE WHEN g.level = 'individual'"
    "   THEN jsonb_set(a.before, '{title}', to_jsonb($3::text)) ELSE a.before END,"
    " after = CASE WHEN g.level = 'individual'"
    "   THEN jsonb_set(a.after, '{title}', to_jsonb($3::text)) ELSE a.after END"
    f" FROM {GOALS} g"
    " WHERE a.tenant_id = $1 AND g.tenant_id = a.tenant_id AND g.goal_type = 'objective'"
    " AND g.goal_id = a.objective_id AND " + _SUBJECTS_TEXT.format(actor="a.actor"),
    f"UPDATE {scoring_policies.TABLE} SET reason = $3"
    " WHERE tenant_id = $1 AND actor = $2 AND coalesce(reason, '') NOT IN ('', $3)",
)


async def erase_subject(conn: asyncpg.Connection, tenant: str, subject: str) -> None:
    """Replace the subject's texts in every read model (inside the caller's transaction)."""
    for statement in _STATEMENTS:
        await conn.execute(statement, tenant, subject, ERASED)
