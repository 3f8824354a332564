"""SMART goals: refused criterion by criterion, accepted when each is checkable."""

from __future__ import annotations

from datetime import date

import pytest

from events.goals import GoalArchived, GoalClosed
from events.values import AggregateType, Level, ParentKind, ParentRef
from services.domain import evolve_all, evolve_smart_goal
from services.domain.errors import ErrorCode, Violation
from services.domain.facts import DecisionFacts
from services.domain.state import GoalStatus, SmartGoalState
from tests.unit.factories import (
    Q4,
    archive,
    close,
    create_smart,
    kr_parent,
    objective_parent,
    parent_facts,
    smart_created,
)
from tests.unit.given_when_then import given

FACTS = parent_facts(kr_parent(), level=Level.TEAM)


def codes(violations: tuple[Violation, ...]) -> list[tuple[str, str]]:
    return [(v.criterion, v.code) for v in violations]


def test_a_smart_goal_is_created() -> None:
    given().when(create_smart(), FACTS).then(smart_created())


def test_a_personal_smart_goal_needs_no_parent() -> None:
    given().when(create_smart(serves=(), personal=True)).then(
        smart_created(serves=(), personal=True)
    )


def test_every_failed_criterion_is_reported_at_once() -> None:
    violations = (
        given()
        .when(create_smart(statement="", metric=None, serves=(), deadline=None))
        .then_rejects(ErrorCode.NOT_SMART)
    )

    assert codes(violations) == [
        ("specific", "statement_empty"),
        ("measurable", "metric_missing"),
        ("relevant", "serves_nothing"),
        ("time_bound", "deadline_missing"),
    ]


@pytest.mark.parametrize("statement", ["do better", "Improve!", "grow revenue fast", "   "])
def test_a_vague_or_empty_statement_is_not_specific(statement: str) -> None:
    violations = (
        given().when(create_smart(statement=statement), FACTS).then_rejects(ErrorCode.NOT_SMART)
    )
    assert [v.criterion for v in violations] == ["specific"]


def test_a_deadline_outside_the_cycle_is_not_time_bound() -> None:
    violations = (
        given()
        .when(create_smart(deadline=date(2027, 1, 5)), FACTS)
        .then_rejects(ErrorCode.NOT_SMART)
    )
    assert codes(violations) == [("time_bound", "deadline_outside_cycle")]


def test_a_deadline_on_the_last_day_of_the_cycle_is_time_bound() -> None:
    given().when(create_smart(deadline=date(2026, 12, 31)), FACTS).then(
        smart_created(deadline=date(2026, 12, 31))
    )


def test_the_goal_it_serves_must_exist() -> None:
    given().when(create_smart()).then_rejects(ErrorCode.UNKNOWN_PARENT)


def test_the_key_result_it_serves_must_exist() -> None:
    given().when(
        create_smart(serves=(kr_parent(kr_id="missing"),)),
        parent_facts(kr_parent(kr_id="missing"), Level.TEAM),
    ).then_rejects(ErrorCode.UNKNOWN_KEY_RESULT)


def test_a_smart_goal_cannot_be_created_twice() -> None:
    given(smart_created()).when(create_smart(), FACTS).then_rejects(ErrorCode.GOAL_EXISTS)


SMART = AggregateType.SMART_GOAL


def merged(*facts: DecisionFacts) -> DecisionFacts:
    return DecisionFacts(parents={k: v for f in facts for k, v in f.parents.items()})


@pytest.mark.parametrize(
    "statement",
    [
        "We really must do better",
        "Improve things a lot this quarter",
        "We need to grow this year",
        "Try harder!",
        "work  harder",
    ],
)
def test_a_known_vague_phrase_padded_with_filler_is_still_vague(statement: str) -> None:
    violations = (
        given().when(create_smart(statement=statement), FACTS).then_rejects(ErrorCode.NOT_SMART)
    )
    assert codes(violations) == [("specific", "statement_vague")]


@pytest.mark.parametrize(
    "statement",
    [
        "Improve trial activation from 20% to 40%",
        "Grow EMEA revenue to 2M EUR",
        "Help trial users do better with three report templates",
    ],
)
def test_a_statement_built_on_a_vague_verb_can_still_be_specific(statement: str) -> None:
    given().when(create_smart(statement=statement), FACTS).then(smart_created(statement=statement))


def test_the_statement_is_stored_trimmed() -> None:
    given().when(create_smart(statement="  Publish three onboarding guides  "), FACTS).then(
        smart_created(statement="Publish three onboarding guides")
    )


def test_a_deadline_on_the_first_day_is_time_bound_and_the_day_before_is_not() -> None:
    given().when(create_smart(deadline=Q4.starts_on), FACTS).then(
        smart_created(deadline=Q4.starts_on)
    )
    violations = (
        given()
        .when(create_smart(deadline=date(2026, 9, 30)), FACTS)
        .then_rejects(ErrorCode.NOT_SMART)
    )
    assert codes(violations) == [("time_bound", "deadline_outside_cycle")]


def test_not_smart_comes_before_the_parents_are_checked() -> None:
    violations = given().when(create_smart(metric=None)).then_rejects(ErrorCode.NOT_SMART)
    assert codes(violations) == [("measurable", "metric_missing")]


def test_a_smart_goal_may_serve_several_parents() -> None:
    both = (kr_parent(), objective_parent("other"))
    facts = merged(FACTS, parent_facts(objective_parent("other"), Level.COMPANY))
    given().when(create_smart(serves=both), facts).then(smart_created(serves=both))


def test_a_parent_named_twice_is_refused() -> None:
    given().when(create_smart(serves=(kr_parent(), kr_parent())), FACTS).then_rejects(
        ErrorCode.ALREADY_ALIGNED
    )


def test_a_parent_of_another_tenant_is_refused() -> None:
    foreign = ParentRef(kind=ParentKind.OBJECTIVE, objective_id="theirs", tenant_id="globex")
    given().when(create_smart(serves=(foreign,))).then_rejects(ErrorCode.ALIGNMENT_ACROSS_TENANTS)


def test_a_team_smart_goal_cannot_serve_an_individual_goal() -> None:
    facts = parent_facts(kr_parent(), level=Level.INDIVIDUAL)
    given().when(create_smart(level=Level.TEAM), facts).then_rejects(
        ErrorCode.ALIGNMENT_LEVEL_INVERTED
    )
    given().when(create_smart(level=Level.INDIVIDUAL), facts).then(smart_created())


def test_a_smart_goal_may_share_its_id_with_the_objective_it_serves() -> None:
    # Objectives and SMART goals are separate aggregates: "parent" here is not "itself".
    facts = parent_facts(kr_parent(), Level.TEAM, ancestors=frozenset({"parent"}))
    given().when(create_smart(goal_id="parent"), facts).then(smart_created())


def test_commands_on_an_unknown_smart_goal_are_refused() -> None:
    given().when(close(goal_id="s1", goal_type=SMART)).then_rejects(ErrorCode.UNKNOWN_GOAL)


def test_a_smart_goal_is_active_from_creation_and_follows_its_lifecycle() -> None:
    state = evolve_smart_goal(None, smart_created())
    assert state == SmartGoalState(
        statement="Publish three onboarding guides for trial users",
        owner="ana",
        level=Level.INDIVIDUAL,
        cycle=Q4,
        metric=smart_created().metric,
        deadline=date(2026, 12, 15),
        personal=False,
        status=GoalStatus.ACTIVE,
        parents=(kr_parent(),),
    )
    closed = evolve_all([smart_created(), GoalClosed()])
    assert closed is not None
    assert closed.status is GoalStatus.CLOSED
    given(smart_created(), GoalClosed()).when(close("s1", SMART)).then_rejects(
        ErrorCode.GOAL_CLOSED
    )
    given(smart_created(), GoalClosed()).when(archive("s1", SMART)).then(GoalArchived())
