"""Tenant settings: one small aggregate per tenant and setting, decided like any goal.

A setting is a command (a ``TenantSettingCommand``, admin-only at the edge), an event, a
state and two pure rules; ``SETTING_RULES`` lists them, and one Decider serves them all
(the aggregate id, the setting's name from ``events.subjects``, tells them apart).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import Field, ValidationError

from events.cadence import CheckInCadenceSet, HygienePolicySet
from events.envelope import EventPayload
from events.scoring_policy import ScoringPolicy, ScoringPolicyChanges, ScoringPolicySet
from events.subjects import SCORING_POLICY_SETTING
from events.values import AggregateType
from services.domain.commands import Command, TenantSettingCommand
from services.domain.decider import Decider
from services.domain.errors import ErrorCode, RuleViolation, Violation
from services.domain.facts import DecisionFacts
from services.domain.rhythm_settings import (
    SetCheckInCadence,
    SetHygienePolicy,
    decide_cadence,
    decide_hygiene,
    evolve_cadence,
    evolve_hygiene,
)


class SetScoringPolicy(TenantSettingCommand):
    """Change some settings of the tenant's scoring policy, in force from ``meta.now``."""

    name = "set_scoring_policy"
    setting = SCORING_POLICY_SETTING
    policy: ScoringPolicyChanges = Field(description="the settings to change; others keep theirs")
    reason: str | None = Field(default=None, max_length=2000)


@dataclass(frozen=True)
class ScoringPolicyState:
    """The tenant's own scoring policy and since when it is in force."""

    policy: ScoringPolicy
    effective_at: datetime


def decide_scoring_policy(
    state: ScoringPolicyState | None, command: SetScoringPolicy, facts: DecisionFacts
) -> list[EventPayload]:
    """The policy with the named settings changed; the rest keep the value in force."""
    now = command.meta.now
    if state is not None and now < state.effective_at:
        # Policies take effect in the order they are stored, so "the policy in force at
        # an instant" has one answer for the live models and every replay.
        raise RuleViolation(
            ErrorCode.INVALID_COMMAND,
            "a scoring policy cannot take effect before the one in force",
            (
                Violation(
                    criterion="meta.now",
                    code="before_policy_in_force",
                    message=f"the policy in force took effect at {state.effective_at.isoformat()}",
                ),
            ),
        )
    current = facts.default_scoring_policy if state is None else state.policy
    try:
        policy = current.with_changes(command.policy.model_dump(exclude_none=True))
    except ValidationError as exc:
        raise RuleViolation(
            ErrorCode.INVALID_COMMAND,
            "the scoring policy would not hold together",
            tuple(
                Violation(
                    criterion=".".join(("policy", *(str(part) for part in item["loc"]))),
                    code=item["type"],
                    message=item["msg"],
                )
                for item in exc.errors(include_url=False)
            ),
        ) from None
    changed = policy.changed_from(current)
    if not changed:
        raise RuleViolation(ErrorCode.NOTHING_CHANGED, "every setting named has that value")
    return [
        ScoringPolicySet(
            effective_at=now,
            policy=policy,
            previous=current,
            changed=changed,
            reason=command.reason,
        )
    ]


def evolve_scoring_policy(
    _: ScoringPolicyState | None, event: ScoringPolicySet
) -> ScoringPolicyState:
    """The policy the event put in force."""
    return ScoringPolicyState(event.policy, event.effective_at)


@dataclass(frozen=True)
class SettingRules:
    """One tenant setting: its command and event, and the rules between them."""

    command: type[TenantSettingCommand]
    event: type[EventPayload]
    decide: Callable[[Any, Any, DecisionFacts], list[EventPayload]]
    evolve: Callable[[Any, Any], Any]


SETTING_RULES: tuple[SettingRules, ...] = (
    SettingRules(SetScoringPolicy, ScoringPolicySet, decide_scoring_policy, evolve_scoring_policy),
    SettingRules(SetCheckInCadence, CheckInCadenceSet, decide_cadence, evolve_cadence),
    SettingRules(SetHygienePolicy, HygienePolicySet, decide_hygiene, evolve_hygiene),
)
SETTING_COMMANDS: tuple[type[Command], ...] = tuple(r.command for r in SETTING_RULES)
_BY_COMMAND: Mapping[type[Command], SettingRules] = {r.command: r for r in SETTING_RULES}
_BY_EVENT: Mapping[type[EventPayload], SettingRules] = {r.event: r for r in SETTING_RULES}


def decide_tenant_setting(state: Any, command: Command, facts: DecisionFacts) -> list[EventPayload]:
    """The events a setting's command yields on that setting's state."""
    return _BY_COMMAND[type(command)].decide(state, command, facts)


def evolve_tenant_setting(state: Any, event: EventPayload) -> Any:
    """A setting's state after one of its events."""
    return _BY_EVENT[type(event)].evolve(state, event)


TENANT_SETTING: Decider[Any] = Decider(
    AggregateType.TENANT_SETTING, decide_tenant_setting, evolve_tenant_setting
)
