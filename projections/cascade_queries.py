"""Queries over the cascade cut from its outline: a page after a cursor, or the whole stream."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime

import asyncpg

from projections import scoring
from projections.parking import Queryable
from projections.read_models import cascade
from projections.read_models.cascade import CascadeEntry, CascadePage, Outline, OutlineCache
from projections.read_models.cascade_cursor import Cursor
from projections.read_models.goals import GoalRef

PolicyOf = Callable[[Queryable, str], Awaitable[scoring.ScoringPolicy]]


class CascadeQueries:
    """Pages and streams of a goal's subtree; each tree's roll-ups are derived once while
    its tenant's read models stay as they are, then every page is cut from them."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        policy_of: PolicyOf,
        acquire_timeout_s: float | None = None,
        kept_nodes: int = 50_000,
    ) -> None:
        self._pool = pool
        self._policy_of = policy_of
        self._acquire_s = acquire_timeout_s
        self._outlines = OutlineCache(kept_nodes)

    async def _outline(self, conn: Queryable, tenant: str, root: GoalRef) -> Outline | None:
        """The subtree's outline: the kept one while the tenant's fingerprint holds."""
        # The fingerprint is read first: an outline computed from newer rows than it is
        # kept under an older stamp, so the next read recomputes, never the reverse.
        stamp = await cascade.fingerprint(conn, tenant)
        found = self._outlines.get(tenant, root, stamp)
        if found is None:
            policy = await self._policy_of(conn, tenant)
            found = await cascade.outline(conn, tenant, root, policy)
            if found is not None:
                self._outlines.put(tenant, root, stamp, found)
        return found

    async def page(
        self,
        tenant: str,
        root: GoalRef,
        as_of: datetime,
        limit: int,
        depth: int | None = None,
        after: Cursor | None = None,
    ) -> CascadePage | None:
        """Up to ``limit`` nodes of the subtree after ``after``, none deeper than
        ``depth``, in depth-first pre-order (None if the goal is unknown)."""
        async with self._pool.acquire(timeout=self._acquire_s) as conn:
            tree = await self._outline(conn, tenant, root)
            if tree is None:
                return None
            placed = tree.after(None if after is None else after.position, limit + 1, depth)
            policy = await self._policy_of(conn, tenant)
            nodes = await cascade.entries(conn, tenant, placed[:limit], as_of, policy)
        more = len(placed) > limit
        last = Cursor(tenant, root, depth, placed[limit - 1].position) if more else None
        return CascadePage(nodes=tuple(nodes), next=None if last is None else last.encode())

    async def exists(self, tenant: str, root: GoalRef) -> bool:
        """Whether the subtree's root is a known goal."""
        async with self._pool.acquire(timeout=self._acquire_s) as conn:
            return await self._outline(conn, tenant, root) is not None

    async def stream(
        self,
        tenant: str,
        root: GoalRef,
        as_of: datetime,
        depth: int | None = None,
        chunk: int = 200,
    ) -> AsyncIterator[CascadeEntry]:
        """The whole subtree node by node in pre-order, the goals' views built ``chunk`` at
        a time; one snapshot (a read-only transaction) from the first node to the last."""
        async with (
            self._pool.acquire(timeout=self._acquire_s) as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            tree = await self._outline(conn, tenant, root)
            policy = await self._policy_of(conn, tenant)
            position = None
            while tree is not None:
                placed = tree.after(position, chunk, depth)
                for node in await cascade.entries(conn, tenant, placed, as_of, policy):
                    yield node
                if len(placed) < chunk:
                    break
                position = placed[-1].position
