"""Queries over the read models; scores are shown as of an instant passed in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

import asyncpg

from projections import scoring
from projections.cascade_queries import CascadeQueries
from projections.parking import Queryable, parked_summary
from projections.partitions import locks_of
from projections.read_models import goals, scoring_policies
from projections.read_models.goals import GoalRef
from projections.read_models.scoring_policies import PolicyInForce
from projections.tables import ALIGNMENTS, GOALS, PARTITION_CHECKPOINTS
from projections.views import (
    CascadeNode,
    GoalScore,
    ParkedState,
    PartitionLag,
    PathStep,
    ProjectionLag,
)

P = ParamSpec("P")
T = TypeVar("T")


class ReadModels:
    """Answers questions from the read models in one schema."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        policy: scoring.ScoringPolicy,
        acquire_timeout_s: float | None = None,
        kept_cascade_nodes: int = 50_000,
    ) -> None:
        self._pool = pool
        self._policy = policy
        self._acquire_s = acquire_timeout_s
        # Outlines of the cascades last paged, up to that many nodes (about 1.2 KB each).
        self.cascade = CascadeQueries(
            pool, self._current_policy, acquire_timeout_s, kept_cascade_nodes
        )

    async def read(
        self,
        query: Callable[Concatenate[Queryable, P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run one read model's query (its module's function) on a pooled connection."""
        async with self._pool.acquire(timeout=self._acquire_s) as conn:
            return await query(conn, *args, **kwargs)

    async def policy_in_force(self, tenant: str, as_of: datetime) -> PolicyInForce:
        """The scoring policy in force for ``tenant`` at ``as_of``."""
        return await self.read(scoring_policies.in_force, tenant, as_of, self._policy)

    async def _current_policy(self, conn: Queryable, tenant: str) -> scoring.ScoringPolicy:
        """The policy the tenant's stored scores were computed under: its newest one."""
        found = await scoring_policies.current(conn, [tenant])
        return found.get(tenant) or self._policy

    async def goal_scores(
        self, tenant: str, refs: Sequence[GoalRef], as_of: datetime
    ) -> dict[GoalRef, GoalScore]:
        """Scores of the given goals (missing ones are left out)."""
        if not refs:
            return {}
        async with self._pool.acquire(timeout=self._acquire_s) as conn:
            policy = await self._current_policy(conn, tenant)
            return await goals.scores(conn, tenant, refs, as_of, policy)

    async def _refs_where(self, tenant: str, condition: str, *args: Any) -> list[GoalRef]:
        """The tenant's goals matching ``condition`` (SQL on ``g``; $1 is tenant), in order."""
        async with self._pool.acquire(timeout=self._acquire_s) as conn:
            rows = await conn.fetch(
                f"SELECT goal_type, goal_id FROM {GOALS} g WHERE tenant_id = $1 AND {condition}",
                tenant,
                *args,
            )
        return [(r["goal_type"], r["goal_id"]) for r in rows]

    async def _scores_where(
        self, tenant: str, as_of: datetime, condition: str, *args: Any
    ) -> list[GoalScore]:
        """Scores of the tenant's goals matching ``condition`` (see ``_refs_where``)."""
        refs = await self._refs_where(tenant, condition, *args)
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

    async def tenant_scores(self, tenant: str, as_of: datetime) -> list[GoalScore]:
        """Every goal of the tenant with its score."""
        return await self._scores_where(tenant, as_of, "TRUE ORDER BY goal_type, goal_id")

    async def cycle_cascade(self, tenant: str, cycle_id: str, as_of: datetime) -> list[CascadeNode]:
        """The whole cascade of a cycle: one tree per company-level objective."""
        tops = await self._refs_where(
            tenant, "cycle_id = $2 AND level = 'company' ORDER BY goal_type, goal_id", cycle_id
        )
        trees = [await self.subtree(tenant, kind, goal, as_of) for kind, goal in tops]
        return [t for t in trees if t is not None]

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
            policy = await self._current_policy(conn, tenant)
            refs = {(goal_type, goal_id)} | {(e["child_type"], e["child_id"]) for e in edges}
            scores = await goals.scores(conn, tenant, sorted(refs), as_of, policy)
        if (goal_type, goal_id) not in scores:
            return None
        children: dict[str, list[tuple[GoalRef, str | None]]] = {}
        for e in edges:
            children.setdefault(e["parent_id"], []).append(
                ((e["child_type"], e["child_id"]), e["kr"] or None)
            )
        return self._node((goal_type, goal_id), None, scores, children, set(), policy)

    def _node(
        self,
        ref: GoalRef,
        via: str | None,
        scores: dict[GoalRef, GoalScore],
        children: dict[str, list[tuple[GoalRef, str | None]]],
        seen: set[GoalRef],
        policy: scoring.ScoringPolicy,
    ) -> CascadeNode:
        goal = scores[ref]
        seen = seen | {ref}
        kids = tuple(
            self._node(child, kr, scores, children, seen, policy)
            for child, kr in sorted(children.get(ref[1], []) if ref[0] == "objective" else [])
            if child in scores and child not in seen
        )
        rolled = scoring.cascade_rollup(
            own_key_results=[
                (k.key_result_id, k.score, k.weight, k.value is not None) for k in goal.key_results
            ],
            own_score=goal.score,
            children=[(c.aligned_to_key_result, c.rolled_up_score) for c in kids],
            policy=policy,
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

    async def lag(self, projection: str, stream_head: int, tenant: str) -> ProjectionLag:
        """Each partition's checkpoint and live owner against the stream head, and parked
        tenants: how many, and the details of ``tenant``'s own (no other tenant's names)."""
        async with self._pool.acquire(timeout=self._acquire_s) as conn:
            rows = await conn.fetch(
                "SELECT c.partition, c.last_sequence, c.updated_at, "
                "CASE WHEN l.pid IS NULL THEN NULL ELSE c.owner END AS owner "
                f"FROM {PARTITION_CHECKPOINTS} c LEFT JOIN pg_locks l ON "
                f"{locks_of('current_schema()')} AND l.objid = c.partition::bigint::oid "
                "WHERE c.projection = $1 ORDER BY c.partition",
                projection,
            )
            count, own = await parked_summary(conn, tenant)
        parts = tuple(
            PartitionLag(
                partition=r["partition"],
                owner=r["owner"],
                checkpoint=r["last_sequence"],
                lag=max(0, stream_head - r["last_sequence"]),
                updated_at=r["updated_at"],
            )
            for r in rows
        )
        done = min((p.checkpoint for p in parts), default=0)
        return ProjectionLag(
            projection=projection,
            checkpoint=done,
            stream_head=stream_head,
            lag=max(0, stream_head - done),
            partitions=parts,
            parked=None if own is None else ParkedState.model_validate(own, from_attributes=True),
            parked_tenants=count,
        )
