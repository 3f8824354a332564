"""Goal facts with sensible defaults, for the rhythm and hygiene specifications."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from events.cadence import CadenceTerms
from events.values import MetricKind
from projections.cadence.facts import GoalFacts, KeyResultFacts
from projections.cadence.hygiene import HygieneContext

START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
WEEKLY = CadenceTerms(period_days=7, grace_days=2, stale_after_missed=3)


def goal(**changes: Any) -> GoalFacts:
    base = GoalFacts(
        tenant_id="acme",
        goal_type="objective",
        goal_id="o1",
        title="Make onboarding self-serve",
        level="team",
        owner="lead",
        team="growth",
        cycle_id="2026-q4",
        cycle_starts_on=date(2026, 10, 1),
        cycle_ends_on=date(2026, 12, 31),
        status="active",
        created_at=START,
        cadence=WEEKLY,
        key_results=(KeyResultFacts("kr1", "Raise activation to 40%", MetricKind.PERCENTAGE),),
    )
    return replace(base, **changes)


def context(now: datetime = START, owner_goals: int = 1, limit: int = 5) -> HygieneContext:
    return HygieneContext(now=now, owner_goal_count=owner_goals, max_goals_per_owner=limit)
