"""Two tenant settings of the goals' rhythm: the check-in cadence and the hygiene limits.

Each is its own ``tenant_setting`` aggregate (id ``check_in_cadence``, ``hygiene_policy``),
decided like the scoring policy; ``services/domain/tenant_settings.py`` lists their rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from immutables import Map
from pydantic import Field

from events.cadence import (
    DEFAULT_MAX_GOALS_PER_OWNER,
    MAX_GRACE_DAYS,
    MAX_MISSED,
    MAX_PERIOD_DAYS,
    CadenceScope,
    CadenceTerms,
    CheckInCadenceSet,
    HygienePolicySet,
    cadence_in_force,
    cadence_scope,
)
from events.envelope import EventPayload
from events.subjects import CHECK_IN_CADENCE_SETTING, HYGIENE_POLICY_SETTING
from events.values import Frozen, GoalType, Token
from services.domain.commands import TenantSettingCommand
from services.domain.errors import ErrorCode, RuleViolation
from services.domain.facts import DecisionFacts


class CadenceChange(Frozen):
    """The cadence settings to change; an unnamed one keeps the value in force."""

    period_days: int | None = Field(default=None, ge=1, le=MAX_PERIOD_DAYS)
    grace_days: int | None = Field(default=None, ge=0, le=MAX_GRACE_DAYS)
    stale_after_missed: int | None = Field(default=None, ge=1, le=MAX_MISSED)


class SetCheckInCadence(TenantSettingCommand):
    """Set the check-in cadence of the tenant, of one goal kind, or of one goal."""

    name = "set_check_in_cadence"
    setting = CHECK_IN_CADENCE_SETTING
    goal_type: GoalType | None = Field(default=None, description="objective or smart_goal")
    goal_id: Token | None = Field(default=None, description="with goal_type: one goal")
    cadence: CadenceChange
    reason: str | None = Field(default=None, max_length=2000)


class SetHygienePolicy(TenantSettingCommand):
    """Set the tenant's goal-hygiene limits."""

    name = "set_hygiene_policy"
    setting = HYGIENE_POLICY_SETTING
    max_goals_per_owner: int = Field(ge=1, le=100)


NO_CADENCES: Map[CadenceScope, CadenceTerms] = Map()


@dataclass(frozen=True)
class CadenceState:
    """The cadence of every scope set so far."""

    cadences: Map[CadenceScope, CadenceTerms] = NO_CADENCES


@dataclass(frozen=True)
class HygieneState:
    """The hygiene limits in force."""

    max_goals_per_owner: int = DEFAULT_MAX_GOALS_PER_OWNER


def decide_cadence(
    state: CadenceState | None, command: SetCheckInCadence, facts: DecisionFacts
) -> list[EventPayload]:
    """The scope's cadence with the named settings changed; the rest keep the value in force."""
    del facts  # a cadence depends on nothing outside its aggregate
    if command.goal_id is not None and command.goal_type is None:
        raise RuleViolation(ErrorCode.INVALID_COMMAND, "goal_id needs its goal_type")
    current = state or CadenceState()
    scope = cadence_scope(command.goal_type, command.goal_id)
    named = command.cadence.model_dump(exclude_none=True)
    if not named:
        raise RuleViolation(ErrorCode.INVALID_COMMAND, "cadence names no setting")
    terms = cadence_in_force(current.cadences, *scope).model_copy(update=named)
    if current.cadences.get(scope) == terms:
        raise RuleViolation(ErrorCode.NOTHING_CHANGED, "this cadence is already in force")
    return [
        CheckInCadenceSet(
            goal_type=command.goal_type,
            goal_id=command.goal_id,
            cadence=CadenceTerms.model_validate(terms.model_dump()),  # revalidated bounds
            reason=command.reason,
        )
    ]


def evolve_cadence(state: CadenceState | None, event: CheckInCadenceSet) -> CadenceState:
    """The cadences after one event."""
    current = state or CadenceState()
    scope = cadence_scope(event.goal_type, event.goal_id)
    return CadenceState(current.cadences.set(scope, event.cadence))


def decide_hygiene(
    state: HygieneState | None, command: SetHygienePolicy, facts: DecisionFacts
) -> list[EventPayload]:
    """The new limit, unless it is the one in force."""
    del facts  # the limits depend on nothing outside their aggregate
    if command.max_goals_per_owner == (state or HygieneState()).max_goals_per_owner:
        raise RuleViolation(ErrorCode.NOTHING_CHANGED, "this limit is already in force")
    return [HygienePolicySet(max_goals_per_owner=command.max_goals_per_owner)]


def evolve_hygiene(state: HygieneState | None, event: HygienePolicySet) -> HygieneState:
    """The limits after one event."""
    return HygieneState(event.max_goals_per_owner)
