"""Objective and key-result rules, as given/when/then specifications."""

from __future__ import annotations

import pytest

from events.envelope import EventPayload
from events.goals import GoalArchived, GoalCarriedOver, GoalClosed
from events.objectives import KeyResultAdded, KeyResultAdjusted, ObjectiveActivated
from events.values import AggregateType, Direction, Metric, MetricKind
from services.domain import commands as c
from services.domain import decide_objective, evolve_all, evolve_objective, objective_from
from services.domain.errors import ErrorCode, RuleViolation
from services.domain.facts import DecisionFacts
from services.domain.state import GoalStatus, KeyResultState, ObjectiveState
from tests.unit.factories import (
    BEFORE_Q4,
    MID_Q4,
    NUMERIC,
    PERCENT,
    Q1,
    Q3,
    Q4,
    add_kr,
    archive,
    carry_over,
    check_in,
    close,
    create_objective,
    create_smart,
    kr_added,
    meta,
    objective_created,
    terms,
)
from tests.unit.given_when_then import given

OBJECTIVE = AggregateType.OBJECTIVE


def adjust(**fields: object) -> c.AdjustKeyResult:
    return c.AdjustKeyResult(
        **{"meta": meta(), "objective_id": "o1", "key_result_id": "kr1", **fields}
    )


def test_a_new_objective_is_created() -> None:
    given().when(create_objective()).then(objective_created())


def test_an_objective_cannot_be_created_twice() -> None:
    given(objective_created()).when(create_objective()).then_rejects(ErrorCode.GOAL_EXISTS)


def test_commands_on_an_unknown_objective_are_refused() -> None:
    given().when(add_kr()).then_rejects(ErrorCode.UNKNOWN_GOAL)


def test_a_key_result_is_added() -> None:
    given(objective_created()).when(add_kr()).then(
        KeyResultAdded(key_result_id="kr1", terms=terms())
    )


def test_a_key_result_id_is_used_once() -> None:
    given(objective_created(), kr_added()).when(add_kr()).then_rejects(ErrorCode.KEY_RESULT_EXISTS)


def test_the_fifth_key_result_is_accepted_and_the_sixth_refused() -> None:
    four = [kr_added(f"kr{i}") for i in range(1, 5)]
    given(objective_created(), *four).when(add_kr("kr5")).then(
        KeyResultAdded(key_result_id="kr5", terms=terms())
    )
    given(objective_created(), *four, kr_added("kr5")).when(add_kr("kr6")).then_rejects(
        ErrorCode.TOO_MANY_KEY_RESULTS
    )


def test_activation_with_two_key_results_has_no_flags() -> None:
    given(objective_created(), kr_added("a"), kr_added("b")).when(
        c.ActivateObjective(meta=meta(), objective_id="o1")
    ).then(ObjectiveActivated(key_result_count=2))


def test_activation_with_one_key_result_is_flagged_not_refused() -> None:
    given(objective_created(), kr_added()).when(
        c.ActivateObjective(meta=meta(), objective_id="o1")
    ).then(ObjectiveActivated(key_result_count=1, flags=("fewer_than_two_key_results",)))


def test_an_active_objective_is_not_activated_again() -> None:
    given(objective_created(), ObjectiveActivated(key_result_count=0)).when(
        c.ActivateObjective(meta=meta(), objective_id="o1")
    ).then_rejects(ErrorCode.ALREADY_ACTIVE)


def test_a_change_before_the_cycle_starts_needs_no_reason() -> None:
    new = Metric(kind=MetricKind.NUMERIC, baseline=30, target=45)
    given(objective_created(), kr_added()).when(adjust(metric=new, meta=meta(BEFORE_Q4))).then(
        KeyResultAdjusted(
            key_result_id="kr1",
            before=terms(),
            after=terms(new),
            changed_fields=("metric.target",),
            mid_cycle=False,
        )
    )


def test_a_mid_cycle_adjustment_without_reason_is_refused() -> None:
    new = Metric(kind=MetricKind.NUMERIC, baseline=30, target=45)
    given(objective_created(), kr_added()).when(adjust(metric=new)).then_rejects(
        ErrorCode.REASON_REQUIRED
    )
    given(objective_created(), kr_added()).when(adjust(metric=new, reason="  ")).then_rejects(
        ErrorCode.REASON_REQUIRED
    )


def test_a_mid_cycle_adjustment_with_reason_is_recorded_with_old_and_new_terms() -> None:
    given(objective_created(), kr_added()).when(
        adjust(weight=2.0, title="Raise NPS (new survey)", reason="vendor changed")
    ).then(
        KeyResultAdjusted(
            key_result_id="kr1",
            before=terms(),
            after=terms(NUMERIC, "Raise NPS (new survey)", 2.0),
            changed_fields=("title", "weight"),
            mid_cycle=True,
            reason="vendor changed",
        )
    )


def test_an_adjustment_that_changes_nothing_is_refused() -> None:
    given(objective_created(), kr_added()).when(adjust(metric=NUMERIC, reason="x")).then_rejects(
        ErrorCode.NOTHING_CHANGED
    )


def test_adjusting_an_unknown_key_result_is_refused() -> None:
    given(objective_created()).when(adjust(weight=2.0, reason="x")).then_rejects(
        ErrorCode.UNKNOWN_KEY_RESULT
    )


def test_a_closed_objective_is_not_adjusted() -> None:
    given(objective_created(), kr_added(), GoalClosed()).when(
        adjust(weight=2.0, reason="x")
    ).then_rejects(ErrorCode.GOAL_CLOSED)


def test_closing_grades_the_goal_once() -> None:
    close = c.CloseGoal(meta=meta(), goal_type=OBJECTIVE, goal_id="o1", grade=0.7)
    given(objective_created()).when(close).then(GoalClosed(grade=0.7))
    given(objective_created(), GoalClosed()).when(close).then_rejects(ErrorCode.GOAL_CLOSED)


def test_carry_over_moves_the_goal_to_a_later_cycle() -> None:
    carry = c.CarryOverGoal(meta=meta(), goal_type=OBJECTIVE, goal_id="o1", to_cycle=Q1)
    given(objective_created()).when(carry).then(GoalCarriedOver(from_cycle=Q4, to_cycle=Q1))


def test_carry_over_into_the_same_or_an_earlier_cycle_is_refused() -> None:
    carry = c.CarryOverGoal(meta=meta(), goal_type=OBJECTIVE, goal_id="o1", to_cycle=Q4)
    given(objective_created()).when(carry).then_rejects(ErrorCode.CYCLE_NOT_LATER)


def test_a_carried_over_goal_takes_check_ins_in_its_new_cycle() -> None:
    in_q1 = meta(Q1.starts_at.replace(day=10))
    given(objective_created(), kr_added(), GoalCarriedOver(from_cycle=Q4, to_cycle=Q1)).when(
        check_in(40, meta=in_q1)
    ).then_types("check_in.recorded")
    given(objective_created(), kr_added(), GoalCarriedOver(from_cycle=Q4, to_cycle=Q1)).when(
        check_in(40)
    ).then_rejects(ErrorCode.CHECK_IN_OUTSIDE_CYCLE)


def test_archiving_is_final() -> None:
    given(objective_created(), GoalClosed()).when(archive()).then(GoalArchived())
    given(objective_created(), GoalArchived()).when(archive()).then_rejects(ErrorCode.GOAL_ARCHIVED)
    given(objective_created(), GoalArchived()).when(add_kr()).then_rejects(ErrorCode.GOAL_ARCHIVED)


def test_a_change_of_metric_kind_lists_every_changed_metric_field() -> None:
    given(objective_created(), kr_added()).when(adjust(metric=PERCENT, reason="now a rate")).then(
        KeyResultAdjusted(
            key_result_id="kr1",
            before=terms(),
            after=terms(PERCENT),
            changed_fields=("metric.kind", "metric.baseline", "metric.target"),
            mid_cycle=True,
            reason="now a rate",
        )
    )


def test_a_change_of_direction_is_a_change() -> None:
    keep_above = Metric(kind=MetricKind.NUMERIC, direction=Direction.KEEP_ABOVE, target=50)
    events = given(objective_created(), kr_added()).when(
        adjust(metric=keep_above, reason="hold the line")
    )
    [adjusted] = events.then_types("key_result.adjusted")
    assert isinstance(adjusted, KeyResultAdjusted)
    assert adjusted.changed_fields == ("metric.direction", "metric.baseline")


def test_an_adjustment_before_the_cycle_keeps_a_given_reason_trimmed() -> None:
    given(objective_created(), kr_added()).when(
        adjust(weight=3.0, reason="  rebalanced ", meta=meta(BEFORE_Q4))
    ).then(
        KeyResultAdjusted(
            key_result_id="kr1",
            before=terms(),
            after=terms(weight=3.0),
            changed_fields=("weight",),
            mid_cycle=False,
            reason="rebalanced",
        )
    )


def test_a_back_dated_adjustment_received_after_the_cycle_started_needs_a_reason() -> None:
    received = DecisionFacts(received_at=MID_Q4)
    back_dated = adjust(weight=2.0, meta=meta(BEFORE_Q4))
    given(objective_created(), kr_added()).when(back_dated, received).then_rejects(
        ErrorCode.REASON_REQUIRED
    )
    [event] = (
        given(objective_created(), kr_added())
        .when(adjust(weight=2.0, reason="re-planned", meta=meta(BEFORE_Q4)), received)
        .then_types("key_result.adjusted")
    )
    assert isinstance(event, KeyResultAdjusted)
    assert event.mid_cycle


def test_an_adjustment_received_before_the_cycle_needs_no_reason() -> None:
    [event] = (
        given(objective_created(), kr_added())
        .when(adjust(weight=2.0, meta=meta(BEFORE_Q4)), DecisionFacts(received_at=BEFORE_Q4))
        .then_types("key_result.adjusted")
    )
    assert isinstance(event, KeyResultAdjusted)
    assert not event.mid_cycle


def test_an_adjustment_at_the_first_instant_of_the_cycle_is_mid_cycle() -> None:
    given(objective_created(), kr_added()).when(
        adjust(weight=2.0, meta=meta(Q4.starts_at))
    ).then_rejects(ErrorCode.REASON_REQUIRED)


def test_an_archived_objective_is_not_adjusted() -> None:
    given(objective_created(), kr_added(), GoalArchived()).when(
        adjust(weight=2.0, reason="x")
    ).then_rejects(ErrorCode.GOAL_ARCHIVED)


def test_an_adjusted_key_result_takes_its_new_terms_in_place() -> None:
    state = objective_from(
        [
            objective_created(),
            kr_added("a"),
            kr_added("b"),
            KeyResultAdjusted(
                key_result_id="a",
                before=terms(),
                after=terms(PERCENT),
                changed_fields=("metric.kind",),
                mid_cycle=False,
            ),
        ]
    )
    assert state is not None
    assert [kr_id for kr_id, _ in state.key_results] == ["a", "b"]
    assert state.key_result("a") == KeyResultState(terms=terms(PERCENT))
    assert state.key_result("b") == KeyResultState(terms=terms())


def test_a_closed_objective_is_not_activated_or_extended() -> None:
    activate = c.ActivateObjective(meta=meta(), objective_id="o1")
    given(objective_created(), GoalClosed()).when(activate).then_rejects(ErrorCode.GOAL_CLOSED)
    given(objective_created(), GoalClosed()).when(add_kr()).then_rejects(ErrorCode.GOAL_CLOSED)


def test_an_archived_goal_cannot_be_closed() -> None:
    given(objective_created(), GoalArchived()).when(close()).then_rejects(ErrorCode.GOAL_ARCHIVED)


def test_an_active_goal_is_carried_over_and_a_closed_one_is_not() -> None:
    active = (objective_created(), ObjectiveActivated(key_result_count=2))
    given(*active).when(carry_over()).then(GoalCarriedOver(from_cycle=Q4, to_cycle=Q1))
    given(*active, GoalClosed()).when(carry_over()).then_rejects(ErrorCode.GOAL_CLOSED)
    given(*active, GoalArchived()).when(carry_over()).then_rejects(ErrorCode.GOAL_ARCHIVED)


def test_carry_over_into_an_earlier_cycle_is_refused() -> None:
    given(objective_created()).when(carry_over(Q3)).then_rejects(ErrorCode.CYCLE_NOT_LATER)


def test_carrying_over_replaces_the_cycle_and_keeps_the_status() -> None:
    state = objective_from(
        [
            objective_created(),
            ObjectiveActivated(key_result_count=0),
            GoalCarriedOver(from_cycle=Q4, to_cycle=Q1),
        ]
    )
    assert state is not None
    assert (state.cycle, state.status) == (Q1, GoalStatus.ACTIVE)


def test_lifecycle_events_set_the_status() -> None:
    created = objective_created()
    assert evolve_objective(None, created).status is GoalStatus.DRAFT
    history: list[EventPayload] = [
        created,
        ObjectiveActivated(key_result_count=0),
        GoalClosed(),
        GoalArchived(),
    ]
    statuses = [s.status for s in _states(history)]
    assert statuses == [GoalStatus.DRAFT, GoalStatus.ACTIVE, GoalStatus.CLOSED, GoalStatus.ARCHIVED]


def test_evolve_all_folds_a_history_and_refuses_one_without_its_creation() -> None:
    assert evolve_all([]) is None
    assert evolve_all([objective_created(), kr_added()]) == objective_from(
        [objective_created(), kr_added()]
    )
    with pytest.raises(ValueError, match="creation"):
        evolve_all([kr_added()])
    with pytest.raises(ValueError, match=r"before objective\.created"):
        evolve_objective(None, kr_added())


def test_the_objective_decider_refuses_commands_for_other_aggregates() -> None:
    with pytest.raises(RuleViolation) as refused:
        decide_objective(None, create_smart())
    assert refused.value.code == ErrorCode.UNKNOWN_COMMAND
    smart_close = close(goal_type=AggregateType.SMART_GOAL)
    with pytest.raises(RuleViolation) as refused:
        decide_objective(evolve_objective(None, objective_created()), smart_close)
    assert refused.value.code == ErrorCode.UNKNOWN_COMMAND


def _states(history: list[EventPayload]) -> list[ObjectiveState]:
    states: list[ObjectiveState] = []
    state: ObjectiveState | None = None
    for event in history:
        state = evolve_objective(state, event)
        states.append(state)
    return states


def test_a_percentage_key_result_beyond_100_is_refused_as_unreachable() -> None:
    beyond = Metric(kind=MetricKind.PERCENTAGE, baseline=20, target=150)
    given(objective_created()).when(add_kr(metric=beyond)).then_rejects(ErrorCode.INVALID_COMMAND)
    given(objective_created(), kr_added()).when(
        adjust(metric=beyond, reason="stretch")
    ).then_rejects(ErrorCode.INVALID_COMMAND)
