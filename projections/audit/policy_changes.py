"""The audit report's scoring-policy section: each change (who, when, what, why) and what it
did to each goal's score, just before and just after it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from events.envelope import StoredEvent
from events.scoring_policy import ScoringPolicy, ScoringPolicySet

GoalKey = tuple[str, str]  # goal type, goal id
# The goals' scores under a policy, as the fold knows them at that point of the log.
ScoresUnder = Callable[[ScoringPolicy], Mapping[GoalKey, float | None]]


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True)


class SettingChange(_Part):
    """One setting a policy change gave a new value."""

    setting: str
    before: Any
    after: Any


class GoalScoreAtChange(_Part):
    """A goal's score just before and just after a policy change."""

    goal_type: str
    goal_id: str
    score_before: float | None
    score_after: float | None


class PolicyChangeAudit(_Part):
    """A change of the tenant's scoring policy."""

    stream_sequence: int
    effective_at: datetime = Field(description="from when the new policy is in force")
    recorded_at: datetime
    actor: str
    reason: str | None
    changes: tuple[SettingChange, ...]
    goals: tuple[GoalScoreAtChange, ...] = Field(
        description="the cycle's goals, scored under the policy before and after"
    )


def policy_change(
    stored: StoredEvent, p: ScoringPolicySet, scores: ScoresUnder
) -> PolicyChangeAudit:
    """The audit entry of one policy event, with every goal known by then scored both ways."""
    e = stored.envelope
    before, after = scores(p.previous), scores(p.policy)
    return PolicyChangeAudit(
        stream_sequence=stored.stream_sequence,
        effective_at=p.effective_at,
        recorded_at=e.recorded_at,
        actor=e.actor,
        reason=p.reason,
        changes=tuple(
            SettingChange(
                setting=name, before=getattr(p.previous, name), after=getattr(p.policy, name)
            )
            for name in p.changed
        ),
        goals=tuple(
            GoalScoreAtChange(
                goal_type=key[0],
                goal_id=key[1],
                score_before=before[key],
                score_after=after.get(key),
            )
            for key in sorted(before)
        ),
    )


def changes_in_cycle(
    changes: Iterable[PolicyChangeAudit], goals: Iterable[GoalKey]
) -> tuple[PolicyChangeAudit, ...]:
    """The changes with only the goals of the report's cycle."""
    keep = set(goals)
    return tuple(
        c.model_copy(
            update={"goals": tuple(g for g in c.goals if (g.goal_type, g.goal_id) in keep)}
        )
        for c in changes
    )
