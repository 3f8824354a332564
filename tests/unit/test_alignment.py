"""Alignment in the cascade: no cycles, no tenants mixed, no upside-down levels."""

from __future__ import annotations

from events.goals import GoalAligned, GoalArchived, GoalClosed, GoalUnaligned
from events.values import AggregateType, Level, ParentKind, ParentRef
from services.domain import commands as c
from services.domain import objective_from
from services.domain.errors import ErrorCode
from services.domain.state import GoalStatus
from tests.unit.factories import (
    TENANT,
    align,
    kr_parent,
    meta,
    objective_created,
    objective_parent,
    parent_facts,
    smart_created,
    unalign,
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
    foreign = ParentRef(kind=ParentKind.OBJECTIVE, objective_id="theirs", tenant_id="globex")
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


SMART = AggregateType.SMART_GOAL


def test_a_key_result_the_parent_does_not_have_is_refused() -> None:
    missing = kr_parent(kr_id="nope")
    given(objective_created()).when(align(missing), parent_facts(missing)).then_rejects(
        ErrorCode.UNKNOWN_KEY_RESULT
    )


def test_a_goal_cannot_serve_one_of_its_own_key_results() -> None:
    own_kr = kr_parent(objective_id="o1")
    given(objective_created()).when(align(own_kr), parent_facts(own_kr)).then_rejects(
        ErrorCode.ALIGNMENT_TO_SELF
    )


def test_a_parent_with_no_path_back_to_the_child_is_accepted() -> None:
    facts = parent_facts(objective_parent(), Level.COMPANY, ancestors=frozenset({"co", "mid"}))
    given(objective_created()).when(align(objective_parent()), facts).then(
        GoalAligned(parent=objective_parent())
    )


def test_a_goal_may_serve_a_goal_of_its_own_level_or_above() -> None:
    for parent_level in (Level.TEAM, Level.COMPANY):
        given(objective_created(Level.TEAM)).when(
            align(objective_parent()), parent_facts(objective_parent(), parent_level)
        ).then(GoalAligned(parent=objective_parent()))
    given(objective_created(Level.TEAM)).when(
        align(objective_parent()), parent_facts(objective_parent(), Level.INDIVIDUAL)
    ).then_rejects(ErrorCode.ALIGNMENT_LEVEL_INVERTED)


def test_naming_the_own_tenant_is_the_same_as_leaving_it_out() -> None:
    spelled = ParentRef(
        kind=ParentKind.KEY_RESULT, objective_id="parent", key_result_id="pkr", tenant_id=TENANT
    )
    given(objective_created()).when(align(spelled), parent_facts(spelled)).then(
        GoalAligned(parent=spelled)
    )
    given(objective_created(), GoalAligned(parent=kr_parent())).when(
        align(spelled), parent_facts(spelled)
    ).then_rejects(ErrorCode.ALREADY_ALIGNED)
    # Unaligning names the parent as it was aligned, however the request spells it.
    given(objective_created(), GoalAligned(parent=kr_parent())).when(unalign(spelled)).then(
        GoalUnaligned(parent=kr_parent())
    )


def test_unaligning_keeps_the_other_parents_in_order() -> None:
    a, b, k = objective_parent("a"), objective_parent("b"), kr_parent()
    state = objective_from(
        [
            objective_created(),
            GoalAligned(parent=a),
            GoalAligned(parent=k),
            GoalAligned(parent=b),
            GoalUnaligned(parent=k),
        ]
    )
    assert state is not None
    assert state.parents == (a, b)


def test_a_closed_or_archived_goal_is_not_realigned() -> None:
    for ended in (GoalClosed(), GoalArchived()):
        code = ErrorCode.GOAL_CLOSED if isinstance(ended, GoalClosed) else ErrorCode.GOAL_ARCHIVED
        given(objective_created(), GoalAligned(parent=kr_parent()), ended).when(
            align(objective_parent()), parent_facts(objective_parent())
        ).then_rejects(code)
        given(objective_created(), GoalAligned(parent=kr_parent()), ended).when(
            unalign(kr_parent())
        ).then_rejects(code)


def test_a_smart_goal_is_refused_like_an_objective() -> None:
    given(smart_created(), GoalAligned(parent=objective_parent())).when(
        align(objective_parent(), goal_id="s1", goal_type=SMART),
        parent_facts(objective_parent(), Level.TEAM),
    ).then_rejects(ErrorCode.ALREADY_ALIGNED)
    given(smart_created()).when(
        unalign(objective_parent(), goal_id="s1", goal_type=SMART)
    ).then_rejects(ErrorCode.NOT_ALIGNED)
    given(smart_created()).when(
        unalign(kr_parent(), goal_id="s1", goal_type=SMART, reason="done")
    ).then(GoalUnaligned(parent=kr_parent(), reason="done"))


def test_a_smart_goal_is_never_part_of_a_cycle_or_its_own_parent() -> None:
    # Parents are objectives; a SMART goal id that equals one names another aggregate.
    same_id = objective_parent("s1")
    facts = parent_facts(same_id, Level.TEAM, ancestors=frozenset({"s1"}))
    given(smart_created()).when(align(same_id, goal_id="s1", goal_type=SMART), facts).then(
        GoalAligned(parent=same_id)
    )


def test_a_closed_or_archived_parent_takes_no_new_children() -> None:
    closed = parent_facts(objective_parent(), status=GoalStatus.CLOSED)
    archived = parent_facts(objective_parent(), status=GoalStatus.ARCHIVED)
    given(objective_created()).when(align(objective_parent()), closed).then_rejects(
        ErrorCode.GOAL_CLOSED
    )
    given(objective_created()).when(align(objective_parent()), archived).then_rejects(
        ErrorCode.GOAL_ARCHIVED
    )
