"""The goal scores read model: goals and their key results, scored as of an instant."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import asyncpg

from events.values import Commitment, Cycle, Metric
from projections import scoring
from projections.parking import Queryable
from projections.read_models import progress
from projections.scoring.forecast import METHOD, forecast
from projections.tables import GOALS, KEY_RESULTS
from projections.views import ForecastView, GoalScore, KeyResultScore

Record = asyncpg.Record
GoalRef = tuple[str, str]  # goal type, goal id
Series = list[tuple[datetime, float]]  # valid time, value
KeyResultRef = tuple[str, str]  # objective id, key result id


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def key_result_forecast(
    series: Series, ends_at: datetime, metric: Metric, policy: scoring.ScoringPolicy
) -> ForecastView | None:
    """Where the KR's series points at ``ends_at``, as the API shows it (None: too few)."""
    found = forecast(series, ends_at, metric, policy)
    if found is None:
        return None
    return ForecastView(
        at=found.at,
        value=found.value,
        value_low=found.value_low,
        value_high=found.value_high,
        score=found.score,
        low=found.score_low,
        high=found.score_high,
        observations=found.observations,
        method=METHOD,
        sentence=found.sentence(),
    )


def _cycle_end(goal: Record) -> datetime:
    return Cycle(
        id=goal["cycle_id"], starts_on=goal["cycle_starts_on"], ends_on=goal["cycle_ends_on"]
    ).ends_at


def _goal_score(
    goal: Record,
    krs: Sequence[Record],
    series: dict[KeyResultRef, Series],
    as_of: datetime,
    policy: scoring.ScoringPolicy,
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
                forecast=key_result_forecast(
                    series.get((goal["goal_id"], k["key_result_id"]), []),
                    _cycle_end(goal),
                    Metric.model_validate_json(k["metric"]),
                    policy,
                ),
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
    series = await _series(conn, tenant, list(by_objective), as_of)
    return {
        (g["goal_type"], g["goal_id"]): _goal_score(
            g,
            by_objective.get(g["goal_id"], []) if g["goal_type"] == "objective" else [],
            series,
            as_of,
            policy,
        )
        for g in goals
    }


async def closed_cycles(conn: Queryable) -> list[tuple[str, str]]:
    """(tenant, cycle) of every cycle whose goals are all closed (archived ones aside)."""
    rows = await conn.fetch(
        f"""SELECT tenant_id, cycle_id FROM {GOALS}
            GROUP BY tenant_id, cycle_id
            HAVING bool_and(status IN ('closed', 'archived')) AND bool_or(status = 'closed')"""
    )
    return [(r["tenant_id"], r["cycle_id"]) for r in rows]


async def _series(
    conn: Queryable, tenant: str, objective_ids: list[str], as_of: datetime
) -> dict[KeyResultRef, Series]:
    """Each KR's observations valid by ``as_of``, in the order they apply: the forecast's
    input, so that the live models and a replay at ``as_of`` fit the same points."""
    if not objective_ids:
        return {}
    rows = await conn.fetch(
        f"SELECT goal_id, key_result_id, applies_at, value FROM {progress.TABLE}"
        " WHERE tenant_id = $1 AND goal_type = 'objective' AND goal_id = ANY($2::text[])"
        " AND applies_at <= $3 ORDER BY goal_id, key_result_id, applies_at, stream_sequence",
        tenant,
        objective_ids,
        as_of,
    )
    found: dict[KeyResultRef, Series] = {}
    for r in rows:
        found.setdefault((r["goal_id"], r["key_result_id"]), []).append(
            (r["applies_at"], r["value"])
        )
    return found
