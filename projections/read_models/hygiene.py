"""The goal-hygiene report of a cycle: every finding of the rules, per owner and per team.

Computed when asked, from the goals, key results, check-ins, alignments and tenant settings
(one rule counts cadence periods up to the instant asked about, so it cannot be stored).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from events.signals import HygieneFlag
from projections.cadence.hygiene import HygieneContext, findings, owner_goal_counts
from projections.parking import Queryable
from projections.read_models.rhythm import open_goals
from projections.read_models.tenant_settings import TenantSettings
from projections.views import View


class GoalHygiene(View):
    """One goal and its findings."""

    goal_type: str
    goal_id: str
    title: str
    owner: str
    team: str | None
    status: str
    findings: tuple[HygieneFlag, ...]


class HygieneGroup(View):
    """The goals with findings of one owner or one team."""

    name: str
    finding_count: int
    goals: tuple[GoalHygiene, ...]


class HygieneReport(View):
    """A cycle's hygiene findings, grouped by owner and by team (goals without a team are
    listed under owners only)."""

    tenant_id: str
    cycle_id: str
    as_of: datetime
    max_goals_per_owner: int = Field(description="the tenant's limit in force")
    by_owner: tuple[HygieneGroup, ...]
    by_team: tuple[HygieneGroup, ...]


def _groups(goals: list[GoalHygiene], key: str) -> tuple[HygieneGroup, ...]:
    grouped: dict[str, list[GoalHygiene]] = {}
    for goal in goals:
        name = getattr(goal, key)
        if name is not None:
            grouped.setdefault(name, []).append(goal)
    return tuple(
        HygieneGroup(
            name=name, finding_count=sum(len(g.findings) for g in members), goals=tuple(members)
        )
        for name, members in sorted(grouped.items())
    )


async def report(conn: Queryable, tenant: str, cycle_id: str, as_of: datetime) -> HygieneReport:
    """The hygiene report of one tenant's cycle as of ``as_of``."""
    goals, settings = await open_goals(conn, as_of, tenant, cycle_id)
    limit = settings.get(tenant, TenantSettings()).max_goals_per_owner
    counts = owner_goal_counts(goals)
    flagged = []
    for goal in goals:
        count = counts.get((goal.tenant_id, goal.cycle_id, goal.owner), 0)
        found = findings(goal, HygieneContext(as_of, count, limit))
        if found:
            flagged.append(
                GoalHygiene(
                    goal_type=goal.goal_type,
                    goal_id=goal.goal_id,
                    title=goal.title,
                    owner=goal.owner,
                    team=goal.team,
                    status=goal.status,
                    findings=found,
                )
            )
    return HygieneReport(
        tenant_id=tenant,
        cycle_id=cycle_id,
        as_of=as_of,
        max_goals_per_owner=limit,
        by_owner=_groups(flagged, "owner"),
        by_team=_groups(flagged, "team"),
    )
