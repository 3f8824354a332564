"""The cascade read model: a goal's subtree in depth-first pre-order with rolled-up scores,
as an outline (shape and roll-ups, no views) that pages and the stream are cut from."""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from pydantic import Field

from projections import scoring
from projections.parking import Queryable
from projections.read_models import goals, scoring_policies
from projections.read_models.goals import GoalRef
from projections.tables import ALIGNMENTS, GOALS, KEY_RESULTS
from projections.views import GoalScore, View

Step = tuple[str, str, str]  # child type, child id, parent KR it serves ('' the objective)
Position = tuple[Step, ...]  # the steps from the root down to a node: its pre-order place
MAX_DEPTH: Final = 64  # deeper than any organisation; bounds the cursor too
MAX_LIMIT: Final = 1000
DEFAULT_LIMIT: Final = 100


class CascadeEntry(View):
    """One node of a cascade, flat: a page's or the stream's line, in depth-first pre-order."""

    goal: GoalScore
    depth: int = Field(description="0 for the requested goal, 1 for what is aligned to it, ...")
    parent: str | None = Field(description="the objective this node is aligned to here")
    aligned_to_key_result: str | None = Field(description="the parent's KR this node serves")
    rolled_up_score: float | None = Field(
        description="the same number the full tree gives: it rests on the whole subtree "
        "below, whatever the page's depth limit"
    )
    children: int = Field(description="nodes aligned directly under this one (at any depth limit)")


class CascadePage(View):
    """Up to ``limit`` nodes of a cascade after the cursor, and the cursor of the rest."""

    nodes: tuple[CascadeEntry, ...]
    next: str | None = Field(description="pass as ?cursor= for the next page; null at the end")


@dataclass(frozen=True, slots=True)
class Placed:
    """A node of the outline: where it is, what it serves, and its roll-up."""

    position: Position
    ref: GoalRef
    parent: str | None
    via: str | None
    rolled_up_score: float | None
    children: int
    end: int  # the index just past its subtree in the outline

    @property
    def depth(self) -> int:
        """How far below the outline's root."""
        return len(self.position)


@dataclass(frozen=True)
class Outline:
    """A subtree's nodes in depth-first pre-order (children by type, id, KR, as the full
    tree orders them), each with its rolled-up score."""

    nodes: tuple[Placed, ...]
    positions: tuple[Position, ...]

    def after(self, position: Position | None, limit: int, depth: int | None) -> list[Placed]:
        """Up to ``limit`` nodes after ``position`` (from the root if None), none deeper
        than ``depth``; a subtree below the limit is skipped whole."""
        at = 0 if position is None else bisect.bisect_right(self.positions, position)
        found: list[Placed] = []
        while at < len(self.nodes) and len(found) < limit:
            node = self.nodes[at]
            if depth is not None and node.depth > depth:
                at = node.end if node.depth == depth + 1 else at + 1
                continue
            found.append(node)
            at = node.end if depth is not None and node.depth == depth else at + 1
        return found


async def fingerprint(conn: Queryable, tenant: str) -> tuple[int, ...]:
    """A value that changes whenever the tenant's cascade may have: every goal event that
    applies bumps its goal's version (so the sum only grows), a new goal adds to the
    count, and a policy change (which rescores without a version bump) is its own part.
    Nothing of other tenants is in it, so their traffic does not invalidate this one's."""
    row = await conn.fetchrow(
        f"""SELECT (SELECT coalesce(max(stream_sequence), 0) FROM {scoring_policies.TABLE}
                    WHERE tenant_id = $1) AS policy,
                   coalesce(sum(version), 0)::bigint AS versions, count(*) AS goals
            FROM {GOALS} WHERE tenant_id = $1""",
        tenant,
    )
    assert row is not None
    return (row["policy"], row["versions"], row["goals"])


async def outline(
    conn: Queryable, tenant: str, root: GoalRef, policy: scoring.ScoringPolicy
) -> Outline | None:
    """The subtree under ``root`` with rolled-up scores (None if the goal is unknown),
    from the bare scores, KRs and edges: no goal views are built."""
    edges = await conn.fetch(
        f"""WITH RECURSIVE tree(child_type, child_id, parent_id, kr) AS (
                SELECT child_type, child_id, parent_objective_id, parent_key_result_id
                FROM {ALIGNMENTS} WHERE tenant_id = $1 AND parent_objective_id = $2
            UNION
                SELECT a.child_type, a.child_id, a.parent_objective_id, a.parent_key_result_id
                FROM {ALIGNMENTS} a JOIN tree t ON a.parent_objective_id = t.child_id
                AND t.child_type = 'objective' WHERE a.tenant_id = $1)
            SELECT * FROM tree""",
        tenant,
        root[1] if root[0] == "objective" else "",
    )
    refs = {root} | {(e["child_type"], e["child_id"]) for e in edges}
    # Two flat reads: a KR aggregate per goal (LATERAL) costs PostgreSQL more than both.
    scored = await conn.fetch(
        f"""SELECT g.goal_type, g.goal_id, g.score FROM {GOALS} g
            JOIN unnest($2::text[], $3::text[]) AS r(y, i)
            ON g.goal_type = r.y AND g.goal_id = r.i WHERE g.tenant_id = $1""",
        tenant,
        [r[0] for r in refs],
        [r[1] for r in refs],
    )
    krs = await conn.fetch(
        f"""SELECT objective_id, key_result_id, score, weight, value IS NOT NULL AS has
            FROM {KEY_RESULTS} WHERE tenant_id = $1 AND objective_id = ANY($2::text[])
            ORDER BY objective_id, position""",
        tenant,
        [r[1] for r in refs if r[0] == "objective"],
    )
    own: dict[str, list[scoring.OwnKeyResult]] = {}
    for k in krs:
        own.setdefault(k["objective_id"], []).append(
            (k["key_result_id"], k["score"], k["weight"], k["has"])
        )
    known: dict[GoalRef, tuple[float | None, list[scoring.OwnKeyResult]]] = {
        (r["goal_type"], r["goal_id"]): (
            r["score"],
            own.get(r["goal_id"], []) if r["goal_type"] == "objective" else [],
        )
        for r in scored
    }
    if root not in known:
        return None
    children: dict[str, list[Step]] = {}
    for e in edges:
        children.setdefault(e["parent_id"], []).append(
            (e["child_type"], e["child_id"], e["kr"] or "")
        )
    for steps in children.values():
        steps.sort()
    return _rolled_up(_pre_order(root, children, known), known, policy)


_Visit = tuple[Position, GoalRef, str | None, str | None, int]  # ..., parent, via, end


def _pre_order(
    root: GoalRef, children: dict[str, list[Step]], known: Mapping[GoalRef, object]
) -> list[_Visit]:
    """Every node under ``root`` in pre-order, as the full tree's recursion visits them:
    children that are known goals and not already on the way down (no loops)."""
    visits: list[_Visit] = []
    ends: list[int] = []
    stack: list[tuple[Position, GoalRef, str | None, str | None]] = [((), root, None, None)]
    way: list[GoalRef] = []  # the refs from the root down to the node being visited
    open_at: list[int] = []  # indexes of the nodes on ``way``, whose subtrees are open
    while stack:
        position, ref, parent, via = stack.pop()
        depth = len(position)
        while len(open_at) > depth:
            ends[open_at.pop()] = len(visits)
        del way[depth:]
        way.append(ref)
        open_at.append(len(visits))
        visits.append((position, ref, parent, via, 0))
        ends.append(0)
        below = children.get(ref[1], []) if ref[0] == "objective" else []
        for kind, goal, kr in reversed(below):
            child = (kind, goal)
            if child in known and child not in way:
                stack.append(((*position, (kind, goal, kr)), child, ref[1], kr or None))
    for index in open_at:
        ends[index] = len(visits)
    return [(p, r, a, v, ends[i]) for i, (p, r, a, v, _) in enumerate(visits)]


def _rolled_up(
    visits: list[_Visit],
    known: dict[GoalRef, tuple[float | None, list[scoring.OwnKeyResult]]],
    policy: scoring.ScoringPolicy,
) -> Outline:
    """Roll-ups from the leaves up: a reverse pre-order pass meets every child before its
    parent; children are handed over in the full tree's order (float sums depend on it)."""
    rolled: list[float | None] = [None] * len(visits)
    counts = [0] * len(visits)
    pending: dict[int, list[tuple[str | None, float | None]]] = {}
    for index in range(len(visits) - 1, -1, -1):
        position, ref, _, via, _ = visits[index]
        kids = pending.pop(len(position) + 1, [])
        kids.reverse()
        own_score, own_key_results = known[ref]
        rolled[index] = scoring.cascade_rollup(own_key_results, own_score, kids, policy)
        counts[index] = len(kids)
        pending.setdefault(len(position), []).append((via, rolled[index]))
    nodes = tuple(
        Placed(p, r, a, v, rolled[i], counts[i], end)
        for i, (p, r, a, v, end) in enumerate(visits)
    )
    return Outline(nodes, tuple(n.position for n in nodes))


async def entries(
    conn: Queryable,
    tenant: str,
    placed: list[Placed],
    as_of: datetime,
    policy: scoring.ScoringPolicy,
) -> list[CascadeEntry]:
    """The placed nodes with their goals' views as of ``as_of`` (only theirs are built)."""
    views = await goals.scores(conn, tenant, sorted({p.ref for p in placed}), as_of, policy)
    return [
        CascadeEntry(
            goal=views[p.ref],
            depth=p.depth,
            parent=p.parent,
            aligned_to_key_result=p.via,
            rolled_up_score=p.rolled_up_score,
            children=p.children,
        )
        for p in placed
        if p.ref in views
    ]


class OutlineCache:
    """The outlines last used, each kept while its tenant's fingerprint holds: walking a
    tree's pages derives its roll-ups once, not once a page. Bounded by nodes (about
    1.2 KB each: 10,000 goals keep some 12 MB); the newest is kept whatever its size."""

    def __init__(self, max_nodes: int = 50_000) -> None:
        self._max_nodes = max_nodes
        self._nodes = 0
        self._kept: OrderedDict[tuple[str, GoalRef], tuple[tuple[int, ...], Outline]] = (
            OrderedDict()
        )

    def get(self, tenant: str, root: GoalRef, stamp: tuple[int, ...]) -> Outline | None:
        """The kept outline if it was computed at ``stamp``."""
        found = self._kept.get((tenant, root))
        if found is None or found[0] != stamp:
            return None
        self._kept.move_to_end((tenant, root))
        return found[1]

    def put(self, tenant: str, root: GoalRef, stamp: tuple[int, ...], tree: Outline) -> None:
        """Keep ``tree`` as computed at ``stamp``, dropping the least recently used."""
        if self._max_nodes <= 0:
            return
        replaced = self._kept.pop((tenant, root), None)
        self._nodes -= 0 if replaced is None else len(replaced[1].nodes)
        self._kept[(tenant, root)] = (stamp, tree)
        self._nodes += len(tree.nodes)
        while self._nodes > self._max_nodes and len(self._kept) > 1:
            _, (_, dropped) = self._kept.popitem(last=False)
            self._nodes -= len(dropped.nodes)
