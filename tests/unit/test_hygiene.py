"""Goal hygiene: given a goal, when the rules look at it at an instant, then these
findings (pure, time passed in)."""

from __future__ import annotations

from datetime import timedelta

from events.values import Direction, Metric, MetricKind
from projections.cadence.facts import GoalFacts, KeyResultFacts
from projections.cadence.hygiene import HygieneCode, findings, owner_goal_counts, reads_as_task
from tests.unit.cadence_factories import START, context, goal

DAY = timedelta(days=1)


def codes(flags: tuple) -> list[str]:
    return [f.code for f in flags]


def kr(title: str, kind: MetricKind = MetricKind.BINARY, kr_id: str = "kr1") -> KeyResultFacts:
    return KeyResultFacts(kr_id, title, kind)


def smart_goal(metric: Metric) -> GoalFacts:
    return goal(goal_type="smart_goal", key_results=(), metric=metric)


def test_a_well_formed_goal_has_no_findings() -> None:
    assert findings(goal(), context()) == ()


def test_an_active_objective_without_key_results_is_flagged_but_not_a_draft() -> None:
    assert codes(findings(goal(key_results=()), context())) == [
        HygieneCode.OBJECTIVE_WITHOUT_KEY_RESULTS
    ]
    assert findings(goal(key_results=(), status="draft"), context()) == ()


def test_more_than_five_key_results_are_flagged() -> None:
    many = tuple(kr(f"Raise metric {i} to 50", MetricKind.NUMERIC, f"kr{i}") for i in range(6))
    [flag] = findings(goal(key_results=many), context())
    assert flag.code == HygieneCode.TOO_MANY_KEY_RESULTS
    assert "6 key results" in flag.message


def test_a_binary_key_result_starting_with_a_delivery_verb_reads_as_a_task() -> None:
    [flag] = findings(goal(key_results=(kr("Launch the new pricing page"),)), context())
    assert flag.code == HygieneCode.KEY_RESULT_READS_AS_TASK
    assert flag.key_result_id == "kr1"


def test_an_outcome_clause_a_number_or_a_measured_metric_silences_the_task_heuristic() -> None:
    assert not reads_as_task(kr("Launch the pricing page so that trials convert better"))
    assert not reads_as_task(kr("Ship SSO to 3 enterprise pilots"))
    assert not reads_as_task(kr("Launch the pricing page", MetricKind.PERCENTAGE))
    assert not reads_as_task(kr("Customers adopt the pricing page"))
    assert reads_as_task(kr("Ship v2", MetricKind.MILESTONE)) is False  # '2' names a number
    assert reads_as_task(kr("Roll out the mobile app", MetricKind.MILESTONE))


def test_an_owner_over_the_tenants_limit_is_flagged_on_each_goal() -> None:
    [flag] = findings(goal(), context(owner_goals=4, limit=3))
    assert flag.code == HygieneCode.TOO_MANY_GOALS
    assert "4 goals" in flag.message
    goals = [goal(goal_id=f"o{i}") for i in range(3)] + [goal(goal_id="x", status="closed")]
    assert owner_goal_counts(goals) == {("acme", "2026-q4", "lead"): 3}


def test_two_cadence_periods_without_a_check_in_are_flagged() -> None:
    assert findings(goal(), context(now=START + 13 * DAY)) == ()
    [flag] = findings(goal(), context(now=START + 14 * DAY))
    assert flag.code == HygieneCode.NO_RECENT_CHECK_IN
    checked = goal(last_check_in_at=START + 10 * DAY)
    assert findings(checked, context(now=START + 14 * DAY)) == ()


def test_a_smart_goal_counting_up_from_zero_has_no_baseline() -> None:
    from_zero = Metric(kind=MetricKind.NUMERIC, baseline=0, target=50)
    [flag] = findings(smart_goal(from_zero), context())
    assert flag.code == HygieneCode.SMART_GOAL_WITHOUT_BASELINE
    with_baseline = Metric(kind=MetricKind.NUMERIC, baseline=20, target=50)
    binary = Metric(kind=MetricKind.BINARY, baseline=0, target=1)
    below = Metric(kind=MetricKind.PERCENTAGE, direction=Direction.KEEP_BELOW, target=3)
    for metric in (with_baseline, binary, below):
        assert (
            findings(goal(goal_type="smart_goal", key_results=(), metric=metric), context()) == ()
        )


def test_an_individual_goal_aligned_to_nothing_is_flagged_unless_personal_or_aligned() -> None:
    [flag] = findings(goal(level="individual"), context())
    assert flag.code == HygieneCode.INDIVIDUAL_GOAL_UNALIGNED
    assert findings(goal(level="individual", aligned=True), context()) == ()
    assert findings(goal(level="individual", personal=True), context()) == ()


def test_closed_and_archived_goals_yield_no_findings() -> None:
    for status in ("closed", "archived"):
        assert findings(goal(status=status, key_results=()), context()) == ()
