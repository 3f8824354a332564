"""Goal hygiene: the common mistakes of goal setting, as pure rules (docs/hygiene.md).

Each rule looks at one goal (and, for the goal count, at how many its owner holds) and
yields findings with a typed code and a message a person can act on. Closed and archived
goals are past fixing and yield none.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from events.signals import HygieneFlag
from events.values import Direction, MetricKind
from projections.cadence.facts import GoalFacts, KeyResultFacts
from projections.cadence.schedule import periods_without_check_in

MAX_KEY_RESULTS: Final = 5
QUIET_PERIODS: Final = 2  # cadence periods without a check-in before the goal is flagged
OPEN_STATUSES: Final = frozenset({"draft", "active"})

# Verbs that name a delivery (an output), not a change in the world (an outcome).
DELIVERY_VERBS: Final = frozenset(
    {
        "add", "build", "complete", "create", "deliver", "deploy", "design", "develop",
        "finish", "hire", "hold", "implement", "introduce", "launch", "migrate", "organise",
        "organize", "publish", "redesign", "refactor", "release", "roll", "run", "set",
        "ship", "start", "write",
    }
)  # fmt: skip
# A title that says what the delivery is for, or names a number, states an outcome.
_OUTCOME_CLAUSE: Final = re.compile(r"\b(so that|in order to|resulting in)\b|\d", re.IGNORECASE)
_FIRST_WORD: Final = re.compile(r"[a-z]+")


class HygieneCode(StrEnum):
    """Every finding's code; stable strings in signals and on the hygiene route."""

    OBJECTIVE_WITHOUT_KEY_RESULTS = "objective_without_key_results"
    TOO_MANY_KEY_RESULTS = "too_many_key_results"
    KEY_RESULT_READS_AS_TASK = "key_result_reads_as_task"
    TOO_MANY_GOALS = "too_many_goals"
    NO_RECENT_CHECK_IN = "no_recent_check_in"
    SMART_GOAL_WITHOUT_BASELINE = "smart_goal_without_baseline"
    INDIVIDUAL_GOAL_UNALIGNED = "individual_goal_unaligned"


@dataclass(frozen=True)
class HygieneContext:
    """What a goal's rules need beyond the goal: the instant, and its owner's load."""

    now: datetime
    owner_goal_count: int
    max_goals_per_owner: int


def _flag(code: HygieneCode, message: str, key_result_id: str | None = None) -> HygieneFlag:
    return HygieneFlag(code=code.value, message=message, key_result_id=key_result_id)


def objective_without_key_results(goal: GoalFacts, ctx: HygieneContext) -> list[HygieneFlag]:
    """An active objective with no key result measures nothing."""
    if goal.goal_type != "objective" or goal.status != "active" or goal.key_results:
        return []
    return [
        _flag(
            HygieneCode.OBJECTIVE_WITHOUT_KEY_RESULTS,
            "This objective is live without a key result: add two to five measurable ones.",
        )
    ]


def too_many_key_results(goal: GoalFacts, ctx: HygieneContext) -> list[HygieneFlag]:
    """More than five key results dilute an objective's focus."""
    count = len(goal.key_results)
    if goal.goal_type != "objective" or count <= MAX_KEY_RESULTS:
        return []
    return [
        _flag(
            HygieneCode.TOO_MANY_KEY_RESULTS,
            f"This objective has {count} key results; keep at most {MAX_KEY_RESULTS} "
            "and move the rest to another objective or drop them.",
        )
    ]


def reads_as_task(kr: KeyResultFacts) -> bool:
    """A done/not-done (or milestone) KR whose title starts with a delivery verb and says
    nothing of what the delivery is for."""
    if kr.kind not in (MetricKind.BINARY, MetricKind.MILESTONE):
        return False
    first = _FIRST_WORD.match(kr.title.strip().lower())
    if first is None or first[0] not in DELIVERY_VERBS:
        return False
    return _OUTCOME_CLAUSE.search(kr.title) is None


def key_result_reads_as_task(goal: GoalFacts, ctx: HygieneContext) -> list[HygieneFlag]:
    """Key results that read as tasks (outputs) rather than outcomes."""
    return [
        _flag(
            HygieneCode.KEY_RESULT_READS_AS_TASK,
            f"Key result {kr.key_result_id!r} reads as a task ({kr.title!r}): state the "
            "outcome it should bring, e.g. with a number or a 'so that ...' clause.",
            kr.key_result_id,
        )
        for kr in goal.key_results
        if reads_as_task(kr)
    ]


def too_many_goals(goal: GoalFacts, ctx: HygieneContext) -> list[HygieneFlag]:
    """An owner holding more goals in a cycle than the tenant allows."""
    if ctx.owner_goal_count <= ctx.max_goals_per_owner:
        return []
    return [
        _flag(
            HygieneCode.TOO_MANY_GOALS,
            f"{goal.owner} holds {ctx.owner_goal_count} goals in {goal.cycle_id}; the limit "
            f"is {ctx.max_goals_per_owner}: focus on fewer.",
        )
    ]


def no_recent_check_in(goal: GoalFacts, ctx: HygieneContext) -> list[HygieneFlag]:
    """An active goal with no check-in for two cadence periods."""
    quiet = periods_without_check_in(goal, ctx.now)
    if goal.status != "active" or quiet < QUIET_PERIODS:
        return []
    return [
        _flag(
            HygieneCode.NO_RECENT_CHECK_IN,
            f"No check-in for {quiet} periods of {goal.cadence.period_days} days: "
            "review the goal and record where it stands.",
        )
    ]


def smart_goal_without_baseline(goal: GoalFacts, ctx: HygieneContext) -> list[HygieneFlag]:
    """A SMART goal measured upwards from a baseline of zero: the starting point is likely
    missing (binary and milestone metrics start at zero by definition)."""
    metric = goal.metric
    if goal.goal_type != "smart_goal" or metric is None:
        return []
    amounts = (MetricKind.NUMERIC, MetricKind.PERCENTAGE, MetricKind.CURRENCY)
    if metric.kind not in amounts or metric.direction is not Direction.INCREASE:
        return []
    if metric.baseline != 0:
        return []
    return [
        _flag(
            HygieneCode.SMART_GOAL_WITHOUT_BASELINE,
            "This SMART goal has no baseline (it counts from 0): record where the metric "
            "stands today so progress means something.",
        )
    ]


def individual_goal_unaligned(goal: GoalFacts, ctx: HygieneContext) -> list[HygieneFlag]:
    """An individual goal that contributes to nothing (and is not declared personal)."""
    if goal.level != "individual" or goal.aligned or goal.personal:
        return []
    return [
        _flag(
            HygieneCode.INDIVIDUAL_GOAL_UNALIGNED,
            "This individual goal is aligned to nothing: align it to a team objective or "
            "key result, or mark it personal.",
        )
    ]


Rule = Callable[[GoalFacts, HygieneContext], list[HygieneFlag]]
RULES: Final[Sequence[Rule]] = (
    objective_without_key_results,
    too_many_key_results,
    key_result_reads_as_task,
    too_many_goals,
    no_recent_check_in,
    smart_goal_without_baseline,
    individual_goal_unaligned,
)


def findings(goal: GoalFacts, ctx: HygieneContext) -> tuple[HygieneFlag, ...]:
    """Every finding of every rule for one goal (none for a closed or archived goal)."""
    if goal.status not in OPEN_STATUSES:
        return ()
    return tuple(flag for rule in RULES for flag in rule(goal, ctx))


def owner_goal_counts(goals: Sequence[GoalFacts]) -> dict[tuple[str, str, str], int]:
    """Open goals per (tenant, cycle, owner)."""
    counts: dict[tuple[str, str, str], int] = {}
    for goal in goals:
        if goal.status in OPEN_STATUSES:
            key = (goal.tenant_id, goal.cycle_id, goal.owner)
            counts[key] = counts.get(key, 0) + 1
    return counts
