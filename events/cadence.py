"""Events of two tenant settings (aggregate ``tenant_setting``): the check-in cadence and the
goal-hygiene limits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from pydantic import Field

from events.envelope import EventPayload
from events.personal import personal
from events.values import AggregateType, Frozen, GoalType, Token

_TENANT = (AggregateType.TENANT_SETTING,)

MAX_PERIOD_DAYS = 92  # a quarter: a rhythm slower than the cycle reminds nobody
MAX_GRACE_DAYS = 30
MAX_MISSED = 12


class CadenceTerms(Frozen):
    """How often a goal is checked in on, and when a missed check-in becomes news."""

    period_days: int = Field(ge=1, le=MAX_PERIOD_DAYS, description="days between check-ins")
    grace_days: int = Field(
        ge=0, le=MAX_GRACE_DAYS, description="days after a due date before it is overdue"
    )
    stale_after_missed: int = Field(
        ge=1, le=MAX_MISSED, description="missed check-ins after which the goal is stale"
    )


DEFAULT_CADENCE = CadenceTerms(period_days=7, grace_days=2, stale_after_missed=3)
"""Weekly, as OKR guides ask; overdue two days after; stale after three missed check-ins."""

DEFAULT_MAX_GOALS_PER_OWNER = 5
"""More goals than this for one owner in one cycle is flagged (``too_many_goals``)."""


class CheckInCadenceSet(EventPayload):
    """The check-in cadence of a tenant's goals, of one goal kind, or of one goal.

    Neither ``goal_type`` nor ``goal_id``: every goal of the tenant; ``goal_type`` only:
    every goal of that kind; both: that one goal (the override wins over the kind's, which
    wins over the tenant's). In force from the event's ``occurred_at``. Schema v2 stores its
    personal field (the reason, its author's) sealed; v1 is read as it is.
    """

    event_type: ClassVar[str] = "check_in_cadence.set"
    schema_version: ClassVar[int] = 2
    aggregate_types = _TENANT

    goal_type: GoalType | None = Field(default=None, description="objective or smart_goal")
    goal_id: Token | None = Field(default=None, description="one goal's override")
    cadence: CadenceTerms
    reason: str | None = personal(default=None, max_length=2000, description="why, in words")


class HygienePolicySet(EventPayload):
    """A tenant's goal-hygiene limits (docs/hygiene.md)."""

    event_type: ClassVar[str] = "hygiene_policy.set"
    schema_version: ClassVar[int] = 1
    aggregate_types = _TENANT

    max_goals_per_owner: int = Field(
        ge=1, le=100, description="goals one owner may hold in one cycle before it is flagged"
    )


CadenceScope = tuple[str, str]  # goal type or "", goal id or ""
TENANT_WIDE: CadenceScope = ("", "")


def cadence_scope(goal_type: AggregateType | None, goal_id: str | None) -> CadenceScope:
    """The scope a cadence event or command names."""
    return ("" if goal_type is None else goal_type.value, goal_id or "")


def cadence_in_force(
    cadences: Mapping[CadenceScope, CadenceTerms], goal_type: str, goal_id: str = ""
) -> CadenceTerms:
    """A goal's cadence: its own, else its kind's, else the tenant's, else the default."""
    for scope in dict.fromkeys(((goal_type, goal_id), (goal_type, ""), TENANT_WIDE)):
        terms = cadences.get(scope)
        if terms is not None:
            return terms
    return DEFAULT_CADENCE
