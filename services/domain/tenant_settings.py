"""The tenant settings decider: the check-in cadence and the goal-hygiene limits."""

from __future__ import annotations

from dataclasses import dataclass, replace

from immutables import Map

from events.cadence import (
    DEFAULT_MAX_GOALS_PER_OWNER,
    CadenceScope,
    CadenceTerms,
    CheckInCadenceSet,
    HygienePolicySet,
    cadence_in_force,
    cadence_scope,
)
from events.envelope import EventPayload
from events.values import AggregateType
from services.domain.commands import Command, SetCheckInCadence, SetHygienePolicy
from services.domain.errors import ErrorCode, RuleViolation
from services.domain.facts import DecisionFacts

NO_CADENCES: Map[CadenceScope, CadenceTerms] = Map()


@dataclass(frozen=True)
class TenantSettingsState:
    """The cadence of every scope set so far, and the hygiene limits."""

    cadences: Map[CadenceScope, CadenceTerms] = NO_CADENCES
    max_goals_per_owner: int = DEFAULT_MAX_GOALS_PER_OWNER


def _scope(command: SetCheckInCadence) -> CadenceScope:
    if command.goal_type is AggregateType.TENANT:
        raise RuleViolation(ErrorCode.INVALID_COMMAND, "goal_type is objective or smart_goal")
    if command.goal_id is not None and command.goal_type is None:
        raise RuleViolation(ErrorCode.INVALID_COMMAND, "goal_id needs its goal_type")
    return cadence_scope(command.goal_type, command.goal_id)


def _set_cadence(state: TenantSettingsState, command: SetCheckInCadence) -> CheckInCadenceSet:
    scope = _scope(command)
    current = cadence_in_force(state.cadences, *scope)
    named = command.cadence.model_dump(exclude_none=True)
    if not named:
        raise RuleViolation(ErrorCode.INVALID_COMMAND, "cadence names no setting")
    terms = current.model_copy(update=named)
    if state.cadences.get(scope) == terms:
        raise RuleViolation(ErrorCode.NOTHING_CHANGED, "this cadence is already in force")
    return CheckInCadenceSet(
        goal_type=command.goal_type,
        goal_id=command.goal_id,
        cadence=CadenceTerms.model_validate(terms.model_dump()),  # revalidated bounds
        reason=command.reason,
    )


def decide_tenant_settings(
    state: TenantSettingsState | None, command: Command, facts: DecisionFacts
) -> list[EventPayload]:
    """The events a settings command yields (pure)."""
    del facts  # settings depend on nothing outside the aggregate
    current = state or TenantSettingsState()
    match command:
        case SetCheckInCadence():
            return [_set_cadence(current, command)]
        case SetHygienePolicy():
            if command.max_goals_per_owner == current.max_goals_per_owner:
                raise RuleViolation(ErrorCode.NOTHING_CHANGED, "this limit is already in force")
            return [HygienePolicySet(max_goals_per_owner=command.max_goals_per_owner)]
    raise RuleViolation(ErrorCode.INVALID_COMMAND, f"{command.name} is no settings command")


def evolve_tenant_settings(
    state: TenantSettingsState | None, event: EventPayload
) -> TenantSettingsState:
    """The settings after one event."""
    current = state or TenantSettingsState()
    match event:
        case CheckInCadenceSet():
            scope = cadence_scope(event.goal_type, event.goal_id)
            return replace(current, cadences=current.cadences.set(scope, event.cadence))
        case HygienePolicySet():
            return replace(current, max_goals_per_owner=event.max_goals_per_owner)
    return current
