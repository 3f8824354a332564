"""The goal scores read model: goals and their key results, scored as of an instant."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import asyncpg

from events.values import Commitment, Metric
from projections import scoring
from projections.parking import Queryable
from projections.tables import GOALS, KEY_RESULTS
from projections.views import GoalScore, KeyResultScore

Record = asyncpg.Record
GoalRef = tuple[str, str]  # goal type, goal id


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _goal_score(
    goal: Record, krs: Sequence[Record], as_of: datetime, policy: scoring.ScoringPolicy
) -> GoalScore:
    smart = goal["goal_type"] == "smart_goal"
    commitment = None if goal["commitment"] is None else Commitment(goal["commitment"])
    expectation = scoring.expectation(commitment, smart, policy)
    expected = scoring.expected_progress(
        _day_start(goal["cycle_starts_on"]),
        _day_start(goal["cycle_ends_on"] + timedelta(days=1)),
        as_of,
    )
    score = goal["score"]
    percent = None
    outcome = None
    if smart:
        metric = Metric.model_validate_json(goal["metric"])
        percent = scoring.smart_goal_completion(metric, goal["value"], policy)
        outcome = scoring.smart_goal_outcome(percent, goal["deadline"], as_of)
    return GoalScore(
        tenant_id=goal["tenant_id"],
        goal_type=goal["goal_type"],
        goal_id=goal["goal_id"],
        title=goal["title"],
        level=goal["level"],
        owner=goal["owner"],
        cycle_id=goal["cycle_id"],
        cycle_starts_on=goal["cycle_starts_on"],
        cycle_ends_on=goal["cycle_ends_on"],
        commitment=goal["commitment"],
        status=goal["status"],
        version=goal["version"],
        score=score,
        percent_complete=percent,
        outcome=outcome,
        deadline=goal["deadline"],
        confidence=goal["confidence"],
        expectation=expectation,
        meets_expectation=scoring.meets_expectation(score, expectation),
        expected_progress=expected,
        # Nothing to measure (an objective without KRs) has no pace and no colour yet.
        pace=None if score is None else scoring.pace(score, expected, expectation, policy),
        band=None if score is None else scoring.colour_band(score, policy),
        as_of=as_of,
        key_results=tuple(
            KeyResultScore(
                key_result_id=k["key_result_id"],
                title=k["title"],
                weight=k["weight"],
                metric=json.loads(k["metric"]),
                value=k["value"],
                value_at=k["value_at"],
                confidence=k["confidence"],
                score=k["score"],
                band=scoring.colour_band(k["score"], policy),
            )
            for k in krs
        ),
    )


async def scores(
    conn: Queryable,
    tenant: str,
    refs: Sequence[GoalRef],
    as_of: datetime,
    policy: scoring.ScoringPolicy,
) -> dict[GoalRef, GoalScore]:
    """Scores of the given goals (missing ones are left out)."""
    types, ids = [r[0] for r in refs], [r[1] for r in refs]
    goals = await conn.fetch(
        f"SELECT g.* FROM {GOALS} g JOIN unnest($2::text[], $3::text[]) AS k(y, i)"
        " ON g.goal_type = k.y AND g.goal_id = k.i WHERE g.tenant_id = $1",
        tenant,
        types,
        ids,
    )
    krs = await conn.fetch(
        f"SELECT * FROM {KEY_RESULTS} WHERE tenant_id = $1 AND objective_id ="
        " ANY($2::text[]) ORDER BY objective_id, position",
        tenant,
        [g["goal_id"] for g in goals if g["goal_type"] == "objective"],
    )
    by_objective: dict[str, list[Record]] = {}
    for kr in krs:
        by_objective.setdefault(kr["objective_id"], []).append(kr)
    return {
        (g["goal_type"], g["goal_id"]): _goal_score(
            g,
            by_objective.get(g["goal_id"], []) if g["goal_type"] == "objective" else [],
            as_of,
            policy,
        )
        for g in goals
    }
