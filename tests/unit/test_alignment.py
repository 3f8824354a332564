"""Alignment in the cascade: no cycles, no tenants mixed, no upside-down levels."""

from __future__ import annotations

from events.goals import GoalAligned, GoalUnaligned
from events.values import AggregateType, Level, ParentRef
from services import commands as c
from services.domain.facts import ancestors
from services.errors import ErrorCode
from tests.unit.factories import (
    align,
    kr_parent,
    meta,
    objective_created,
    objective_parent,
    parent_facts,
    smart_created,
)
from tests.unit.given_when_then import given


def test_a_team_objective_aligns_to_a_company_key_result() -> None:
    given(objective_created(Level.TEAM)).when(align(kr_parent()), parent_facts(kr_parent())).then(
        GoalAligned(parent=kr_parent())
    )


def test_a_goal_may_serve_several_parents() -> None:
    second = objective_parent("other")
    given(objective_created(), GoalAligned(parent=kr_parent())).when(
        align(second), parent_facts(second)
    ).then(GoalAligned(parent=second))


def test_aligning_twice_to_the_same_parent_is_refused() -> None:
    given(objective_created(), GoalAligned(parent=kr_parent())).when(
        align(kr_parent()), parent_facts(kr_parent())
    ).then_rejects(ErrorCode.ALREADY_ALIGNED)


def test_an_unknown_parent_is_refused() -> None:
    given(objective_created()).when(align(kr_parent())).then_rejects(ErrorCode.UNKNOWN_PARENT)


def test_a_goal_cannot_serve_itself() -> None:
    given(objective_created()).when(
        align(objective_parent("o1")), parent_facts(objective_parent("o1"))
    ).then_rejects(ErrorCode.ALIGNMENT_TO_SELF)


def test_an_alignment_that_closes_a_cycle_is_refused() -> None:
    # "parent" already serves "mid", which serves "o1": o1 -> parent would be a cycle.
    facts = parent_facts(objective_parent(), Level.TEAM, ancestors=frozenset({"mid", "o1"}))
    given(objective_created()).when(align(objective_parent()), facts).then_rejects(
        ErrorCode.ALIGNMENT_CYCLE
    )


def test_alignment_across_tenants_is_refused() -> None:
    foreign = ParentRef(kind="objective", objective_id="theirs", tenant_id="globex")  # type: ignore[arg-type]
    given(objective_created()).when(align(foreign)).then_rejects(ErrorCode.ALIGNMENT_ACROSS_TENANTS)
    given(objective_created()).when(
        align(objective_parent()), parent_facts(objective_parent(), tenant="globex")
    ).then_rejects(ErrorCode.ALIGNMENT_ACROSS_TENANTS)


def test_a_company_objective_cannot_serve_a_team_objective() -> None:
    given(objective_created(Level.COMPANY)).when(
        align(objective_parent()), parent_facts(objective_parent(), Level.TEAM)
    ).then_rejects(ErrorCode.ALIGNMENT_LEVEL_INVERTED)


def test_unaligning_removes_one_parent_and_needs_it_to_be_there() -> None:
    unalign = c.UnalignGoal(
        meta=meta(),
        goal_type=AggregateType.OBJECTIVE,
        goal_id="o1",
        parent=kr_parent(),
        reason="re-org",
    )
    given(objective_created(), GoalAligned(parent=kr_parent())).when(unalign).then(
        GoalUnaligned(parent=kr_parent(), reason="re-org")
    )
    given(objective_created()).when(unalign).then_rejects(ErrorCode.NOT_ALIGNED)


def test_a_smart_goal_aligns_and_unaligns_like_an_objective() -> None:
    extra = objective_parent("another")
    given(smart_created()).when(
        align(extra, goal_id="s1", goal_type=AggregateType.SMART_GOAL),
        parent_facts(extra, Level.TEAM),
    ).then(GoalAligned(parent=extra))


def test_ancestors_follow_every_parent_upward() -> None:
    parents_of = {"ind": ["team-a", "team-b"], "team-a": ["co"], "team-b": ["co"], "co": []}
    assert ancestors("ind", parents_of) == {"ind", "team-a", "team-b", "co"}
    assert ancestors("co", parents_of) == {"co"}
