"""SMART goals: refused criterion by criterion, accepted when each is checkable."""

from __future__ import annotations

from datetime import date

import pytest

from events.values import Level
from services.errors import ErrorCode, Violation
from tests.unit.factories import (
    create_smart,
    kr_parent,
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
