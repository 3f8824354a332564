"""Queries over the read models; scores are shown as of an instant passed in."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import asyncpg

from events.values import Commitment, Metric
from projections import scoring
from projections.parking import parked_summary
from projections.tables import ALIGNMENTS, CHECKPOINTS, GOALS, KEY_RESULTS, KR_ADJUSTMENTS, PROGRESS
from projections.views import (
    AdjustmentView,
    CascadeNode,
    GoalScore,
    KeyResultScore,
    ParkedState,
    PathStep,
    ProgressView,
    ProjectionLag,
)

Record = asyncpg.Record
GoalRef = tuple[str, str]  # goal type, goal id


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _goal_score(
    goal: Record, krs: Sequence[Record], as_of: datetime, policy: scoring.ScoringPolicy
) -> GoalScore:
    smart = goal["goal_type"] == "smart_goal"
    commitment = None if goal["commitment"] is None else Commitment(goal["commitment"])
    expectation = scoring.expectation(commitment, smart)
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
        expected_progress=expected,
        pace=scoring.pace(score or 0.0, expected, expectation, policy),
        band=scoring.colour_band(score or 0.0),
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
                band=scoring.colour_band(k["score"]),
            )
            for k in krs
        ),
    )


class ReadModels:
    """Answers questions from the read models in one schema."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        policy: scoring.ScoringPolicy = scoring.DEFAULT_POLICY,
        acquire_timeout_s: float | None = None,
    ) -> None:
        self._pool = pool
        self._policy = policy
        self._acquire_s = acquire_timeout_s

    async def goal_scores(
        self, tenant: str, refs: Sequence[GoalRef], as_of: datetime
    ) -> dict[GoalRef, GoalScore]:
        """Scores of the given goals (missing ones are left out)."""
        if not refs:
            return {}
        types, ids = [r[0] for r in refs], [r[1] for r in refs]
        async with self._pool.acquire(timeout=self._acquire_s) as conn:
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
                self._policy,
            )
            for g in goals
        }

    async def _scores_where(
        self, tenant: str, as_of: datetime, condition: str, *args: Any
    ) -> list[GoalScore]:
        """Scores of the tenant's goals matching ``condition`` (SQL on ``g``; $1 is tenant)."""
        async with self._pool.acquire(timeout=self._acquire_s) as conn:
            rows = await conn.fetch(
                f"SELECT goal_type, goal_id FROM {GOALS} g WHERE tenant_id = $1 AND {condition}",
                tenant,
                *args,
            )
        refs = [(r["goal_type"], r["goal_id"]) for r in rows]
        scores = await self.goal_scores(tenant, refs, as_of)
        return [scores[r] for r in refs if r in scores]

    async def goal_score(
        self, tenant: str, goal_type: str, goal_id: str, as_of: datetime
    ) -> GoalScore | None:
        """One goal's score, or None if unknown."""
        found = await self.goal_scores(tenant, [(goal_type, goal_id)], as_of)
        return found.get((goal_type, goal_id))

    async def cycle_scores(self, tenant: str, cycle_id: str, as_of: datetime) -> list[GoalScore]:
        """Every goal of a cycle with its score."""
        return await self._scores_where(
            tenant, as_of, "cycle_id = $2 ORDER BY goal_type, goal_id", cycle_id
        )

    async def subtree(
        self, tenant: str, goal_type: str, goal_id: str, as_of: datetime
    ) -> CascadeNode | None:
        """The goal and everything aligned under it, with rolled-up scores."""
        async with self._pool.acquire(timeout=self._acquire_s) as conn:
            edges = await conn.fetch(
                f"""WITH RECURSIVE tree(child_type, child_id, parent_id, kr) AS (
                        SELECT child_type, child_id, parent_objective_id, parent_key_result_id
                        FROM {ALIGNMENTS} WHERE tenant_id = $1 AND parent_objective_id = $2
                    UNION
                        SELECT a.child_type, a.child_id, a.parent_objective_id,
                               a.parent_key_result_id
                        FROM {ALIGNMENTS} a JOIN tree t ON a.parent_objective_id = t.child_id
                        AND t.child_type = 'objective' WHERE a.tenant_id = $1)
                    SELECT * FROM tree""",
                tenant,
                goal_id if goal_type == "objective" else "",
            )
        refs = {(goal_type, goal_id)} | {(e["child_type"], e["child_id"]) for e in edges}
        scores = await self.goal_scores(tenant, sorted(refs), as_of)
        if (goal_type, goal_id) not in scores:
            return None
        children: dict[str, list[tuple[GoalRef, str | None]]] = {}
        for e in edges:
            children.setdefault(e["parent_id"], []).append(
                ((e["child_type"], e["child_id"]), e["kr"] or None)
            )
        return self._node((goal_type, goal_id), None, scores, children, set())

    def _node(
        self,
        ref: GoalRef,
        via: str | None,
        scores: dict[GoalRef, GoalScore],
        children: dict[str, list[tuple[GoalRef, str | None]]],
        seen: set[GoalRef],
    ) -> CascadeNode:
        goal = scores[ref]
        seen = seen | {ref}
        kids = tuple(
            self._node(child, kr, scores, children, seen)
            for child, kr in sorted(children.get(ref[1], []) if ref[0] == "objective" else [])
            if child in scores and child not in seen
        )
        rolled = scoring.cascade_rollup(
            own_key_results=[
                (k.key_result_id, k.score, k.weight, k.value is not None) for k in goal.key_results
            ],
            own_score=goal.score,
            children=[(c.aligned_to_key_result, c.rolled_up_score) for c in kids],
            policy=self._policy,
        )
        return CascadeNode(
            goal=goal, aligned_to_key_result=via, rolled_up_score=rolled, children=kids
        )

    async def path_to_top(self, tenant: str, goal_type: str, goal_id: str) -> list[PathStep]:
        """From the goal up through its first parent at each step to a top-level goal."""
        steps: list[PathStep] = []
        current: GoalRef | None = (goal_type, goal_id)
        via: str | None = None
        seen: set[GoalRef] = set()
        async with self._pool.acquire(timeout=self._acquire_s) as conn:
            while current is not None and current not in seen:
                seen.add(current)
                goal = await conn.fetchrow(
                    f"SELECT title, level FROM {GOALS} WHERE tenant_id = $1 AND goal_type = $2"
                    " AND goal_id = $3",
                    tenant,
                    *current,
                )
                if goal is None:
                    break
                steps.append(
                    PathStep(
                        goal_type=current[0],
                        goal_id=current[1],
                        title=goal["title"],
                        level=goal["level"],
                        via_key_result=via,
                    )
                )
                parent = await conn.fetchrow(
                    f"SELECT parent_objective_id, parent_key_result_id FROM {ALIGNMENTS}"
                    " WHERE tenant_id = $1 AND child_type = $2 AND child_id = $3"
                    " ORDER BY aligned_at, parent_objective_id LIMIT 1",
                    tenant,
                    *current,
                )
                current = None if parent is None else ("objective", parent[0])
                via = None if parent is None else (parent[1] or None)
        return steps

    async def unaligned(self, tenant: str, cycle_id: str, as_of: datetime) -> list[GoalScore]:
        """Goals below company level that serve nothing (SMART goals marked personal aside)."""
        return await self._scores_where(
            tenant,
            as_of,
            "cycle_id = $2 AND level <> 'company' AND NOT personal AND status <> 'archived'"
            f" AND NOT EXISTS (SELECT 1 FROM {ALIGNMENTS} a WHERE a.tenant_id = g.tenant_id"
            " AND a.child_type = g.goal_type AND a.child_id = g.goal_id)"
            " ORDER BY goal_type, goal_id",
            cycle_id,
        )

    async def progress_history(
        self, tenant: str, goal_type: str, goal_id: str
    ) -> list[ProgressView]:
        """Every check-in and report of a goal, in the order they apply."""
        async with self._pool.acquire(timeout=self._acquire_s) as conn:
            rows = await conn.fetch(
                f"SELECT * FROM {PROGRESS} WHERE tenant_id = $1 AND goal_type = $2 AND"
                " goal_id = $3 ORDER BY applies_at, stream_sequence",
                tenant,
                goal_type,
                goal_id,
            )
        return [
            ProgressView(**{**dict(r), "key_result_id": r["key_result_id"] or None}) for r in rows
        ]

    async def adjustments(
        self,
        tenant: str,
        cycle_id: str | None = None,
        objective_id: str | None = None,
        actor: str | None = None,
    ) -> list[AdjustmentView]:
        """KR adjustments, filtered by cycle, goal and/or person."""
        async with self._pool.acquire(timeout=self._acquire_s) as conn:
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

    async def lag(self, projection: str, stream_head: int, tenant: str) -> ProjectionLag:
        """The projection's checkpoint against the stream head, and parked tenants: how
        many, and the details of ``tenant``'s own (no other tenant's names)."""
        async with self._pool.acquire(timeout=self._acquire_s) as conn:
            checkpoint = await conn.fetchval(
                f"SELECT last_sequence FROM {CHECKPOINTS} WHERE projection = $1", projection
            )
            count, own = await parked_summary(conn, tenant)
        done = int(checkpoint or 0)
        return ProjectionLag(
            projection=projection,
            checkpoint=done,
            stream_head=stream_head,
            lag=max(0, stream_head - done),
            parked=None if own is None else ParkedState.model_validate(own, from_attributes=True),
            parked_tenants=count,
        )
