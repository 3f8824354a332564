"""The scoring policy setting: given its history, when set_scoring_policy, then its event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from events.scoring_policy import ScoringPolicy, ScoringPolicySet
from services.domain.errors import ErrorCode
from services.domain.facts import DecisionFacts
from services.domain.tenant_settings import SetScoringPolicy
from services.settings import Settings, scoring_policy_from
from tests.unit.factories import MID_Q4, meta
from tests.unit.given_when_then import given

BUILT_IN = ScoringPolicy()


def set_policy(reason: str | None = None, now: Any = MID_Q4, **settings: Any) -> SetScoringPolicy:
    return SetScoringPolicy.model_validate(
        {"meta": meta(now).model_dump(), "policy": settings, "reason": reason}
    )


def policy_set(policy: ScoringPolicy, previous: ScoringPolicy, *changed: str) -> ScoringPolicySet:
    return ScoringPolicySet(
        effective_at=MID_Q4, policy=policy, previous=previous, changed=changed, reason=None
    )


def test_a_tenant_without_a_policy_starts_from_the_deployment_default() -> None:
    default = ScoringPolicy(floor_at_zero=False)
    facts = DecisionFacts(default_scoring_policy=default)

    given().when(set_policy(keep_comparison="strict"), facts).then(
        policy_set(
            ScoringPolicy(floor_at_zero=False, keep_comparison="strict"),
            default,
            "keep_comparison",
        )
    )


def test_settings_left_out_keep_the_value_in_force() -> None:
    first = ScoringPolicy(cap_key_result_at_one=False)
    history = given(policy_set(first, BUILT_IN, "cap_key_result_at_one"))

    [event] = history.when(set_policy("bands as HR uses them", green_from=0.8)).then_types(
        "scoring_policy.set"
    )

    assert isinstance(event, ScoringPolicySet)
    assert event.policy == ScoringPolicy(cap_key_result_at_one=False, green_from=0.8)
    assert event.previous == first
    assert event.changed == ("green_from",)
    assert event.reason == "bands as HR uses them"


def test_naming_only_values_already_in_force_changes_nothing() -> None:
    given().when(set_policy(at_risk_ratio=0.9)).then_rejects(ErrorCode.NOTHING_CHANGED)


@pytest.mark.parametrize(
    ("settings", "criterion"),
    [
        ({"at_risk_ratio": 0.5}, "policy.off_track_ratio"),  # below off_track_ratio 0.6
        ({"yellow_from": 0.8}, "policy.green_from"),  # above green_from 0.7
    ],
)
def test_settings_that_do_not_hold_together_are_refused_by_name(
    settings: dict[str, Any], criterion: str
) -> None:
    violations = given().when(set_policy(**settings)).then_rejects(ErrorCode.INVALID_COMMAND)

    assert [v.criterion for v in violations] == [criterion]


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"keep_comparison": "loose"}, "keep_comparison"),
        ({"at_risk_ratio": -0.1}, "at_risk_ratio"),
        ({"committed_expectation": 0}, "committed_expectation"),
        ({"green_from": float("nan")}, "green_from"),
        ({"uncapped": True}, "uncapped"),
    ],
)
def test_a_setting_out_of_its_bounds_is_named_at_the_edge(
    settings: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValueError) as refused:  # noqa: PT011 - the location is the contract
        set_policy(**settings)

    assert ("policy", field) in [e["loc"] for e in refused.value.errors()]  # type: ignore[attr-defined]


def test_a_policy_cannot_take_effect_before_the_one_in_force() -> None:
    history = given(policy_set(ScoringPolicy(floor_at_zero=False), BUILT_IN, "floor_at_zero"))

    violations = history.when(
        set_policy(now=MID_Q4 - timedelta(days=1), floor_at_zero=True)
    ).then_rejects(ErrorCode.INVALID_COMMAND)

    assert [v.criterion for v in violations] == ["meta.now"]


def test_the_deployment_default_comes_from_the_environment_by_setting_name() -> None:
    env = {"OKR_SCORING_KEEP_COMPARISON": "strict", "OKR_SCORING_CAP_ROLLUP_AT_ONE": "false"}

    assert Settings.from_env(env).scoring_policy == ScoringPolicy(
        keep_comparison="strict", cap_rollup_at_one=False
    )
    assert Settings.from_env({}).scoring_policy == BUILT_IN


def test_a_bad_default_names_its_variable() -> None:
    with pytest.raises(ValueError, match="OKR_SCORING_AT_RISK_RATIO"):
        scoring_policy_from({"OKR_SCORING_AT_RISK_RATIO": "lots"})
