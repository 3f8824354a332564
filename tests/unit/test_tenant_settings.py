"""The tenant settings decider: cadence by scope, partial changes, refusals, the limit."""

from __future__ import annotations

from events.cadence import (
    DEFAULT_CADENCE,
    CadenceTerms,
    CheckInCadenceSet,
    HygienePolicySet,
    cadence_in_force,
)
from events.values import AggregateType, GoalType
from services.domain.errors import ErrorCode
from services.domain.rhythm_settings import CadenceChange, SetCheckInCadence, SetHygienePolicy
from tests.unit.factories import meta
from tests.unit.given_when_then import given

MONTHLY = CadenceTerms(period_days=30, grace_days=2, stale_after_missed=3)


def set_cadence(
    goal_type: GoalType | None = None, goal_id: str | None = None, **change: int
) -> SetCheckInCadence:
    return SetCheckInCadence(
        meta=meta(), goal_type=goal_type, goal_id=goal_id, cadence=CadenceChange(**change)
    )


def test_a_kind_gets_its_own_cadence_and_unnamed_settings_keep_the_default() -> None:
    given().when(set_cadence(AggregateType.SMART_GOAL, period_days=30)).then(
        CheckInCadenceSet(goal_type=AggregateType.SMART_GOAL, cadence=MONTHLY)
    )


def test_a_goal_override_starts_from_the_cadence_of_its_kind() -> None:
    kind = CheckInCadenceSet(goal_type=AggregateType.SMART_GOAL, cadence=MONTHLY)
    given(kind).when(set_cadence(AggregateType.SMART_GOAL, "g1", grace_days=5)).then(
        CheckInCadenceSet(
            goal_type=AggregateType.SMART_GOAL,
            goal_id="g1",
            cadence=MONTHLY.model_copy(update={"grace_days": 5}),
        )
    )


def test_setting_what_is_in_force_changes_nothing() -> None:
    tenant_wide = CheckInCadenceSet(cadence=MONTHLY)
    given(tenant_wide).when(set_cadence(period_days=30)).then_rejects(ErrorCode.NOTHING_CHANGED)


def test_a_goal_id_without_its_kind_is_refused() -> None:
    given().when(set_cadence(None, "g1", period_days=3)).then_rejects(ErrorCode.INVALID_COMMAND)


def test_a_cadence_that_names_no_setting_is_refused() -> None:
    given().when(set_cadence()).then_rejects(ErrorCode.INVALID_COMMAND)


def test_the_hygiene_limit_is_set_once_per_change() -> None:
    command = SetHygienePolicy(meta=meta(), max_goals_per_owner=3)
    given().when(command).then(HygienePolicySet(max_goals_per_owner=3))
    given(HygienePolicySet(max_goals_per_owner=3)).when(command).then_rejects(
        ErrorCode.NOTHING_CHANGED
    )


def test_the_cadence_in_force_is_the_goals_then_its_kinds_then_the_tenants() -> None:
    weekly_quick = DEFAULT_CADENCE.model_copy(update={"grace_days": 1})
    cadences = {("", ""): weekly_quick, ("smart_goal", ""): MONTHLY}
    one = MONTHLY.model_copy(update={"period_days": 14})
    assert cadence_in_force({}, "objective", "o1") == DEFAULT_CADENCE
    assert cadence_in_force(cadences, "objective", "o1") == weekly_quick
    assert cadence_in_force(cadences, "smart_goal", "g1") == MONTHLY
    assert cadence_in_force({**cadences, ("smart_goal", "g1"): one}, "smart_goal", "g1") == one
