"""Rules both goal kinds share: lifecycle, values that fit a metric, time, alignment."""

from __future__ import annotations

import math
from datetime import datetime

from events.values import Cycle, Level, Metric, MetricKind, ParentKind, ParentRef
from services.domain.commands import CommandMeta
from services.domain.errors import ErrorCode, RuleViolation
from services.domain.facts import DecisionFacts, ParentFacts
from services.domain.state import GoalStatus


def require_open(status: GoalStatus) -> None:
    """Closed and archived goals accept no more progress or changes."""
    if status is GoalStatus.CLOSED:
        raise RuleViolation(ErrorCode.GOAL_CLOSED, "the goal is closed")
    if status is GoalStatus.ARCHIVED:
        raise RuleViolation(ErrorCode.GOAL_ARCHIVED, "the goal is archived")


def require_fits(metric: Metric, value: float) -> None:
    """A value must be one the metric's kind can take."""
    kind = metric.kind
    problem = None
    # The schema refuses NaN and infinity; this guards payloads built without validation.
    if not math.isfinite(value):
        problem = "a value is a finite number"
    elif kind is MetricKind.PERCENTAGE and not 0.0 <= value <= 100.0:
        problem = "a percentage lies between 0 and 100"
    elif kind is MetricKind.BINARY and value not in (0.0, 1.0):
        problem = "a binary metric is 0 (not done) or 1 (done)"
    elif kind is MetricKind.MILESTONE and (
        value != int(value) or not 0 <= value <= len(metric.milestones)
    ):
        problem = f"a milestone count is a whole number from 0 to {len(metric.milestones)}"
    if problem is not None:
        raise RuleViolation(ErrorCode.VALUE_DOES_NOT_FIT_METRIC, f"{value} does not fit: {problem}")


def require_reachable(metric: Metric) -> None:
    """Baseline and targets must be values a check-in could report."""
    bounds = [metric.baseline, metric.target]
    if metric.target_max is not None:
        bounds.append(metric.target_max)
    for bound in bounds:
        try:
            require_fits(metric, bound)
        except RuleViolation as refused:
            raise RuleViolation(
                ErrorCode.INVALID_COMMAND, f"the metric can never be reached: {refused.message}"
            ) from None


def require_observable(at: datetime, now: datetime, cycle: Cycle) -> None:
    """An observation lies in the cycle and not after the request's business time."""
    if at > now:
        raise RuleViolation(
            ErrorCode.CHECK_IN_IN_FUTURE, f"{at.isoformat()} is after now ({now.isoformat()})"
        )
    if not cycle.contains(at):
        raise RuleViolation(
            ErrorCode.CHECK_IN_OUTSIDE_CYCLE,
            f"{at.isoformat()} is outside cycle {cycle.id} ({cycle.starts_on}..{cycle.ends_on})",
        )


def require_confidence(confidence: float) -> None:
    """Confidence is a probability."""
    if not 0.0 <= confidence <= 1.0:
        raise RuleViolation(ErrorCode.INVALID_COMMAND, "confidence lies between 0 and 1")


def check_parent(
    child_objective_id: str | None,
    child_level: Level,
    parent: ParentRef,
    current_parents: tuple[ParentRef, ...],
    meta: CommandMeta,
    facts: DecisionFacts,
) -> ParentFacts:
    """Refuse an alignment across tenants, to self, in a cycle, upwards, or twice.

    ``child_objective_id`` is None for a SMART goal: parents are always objectives, so a
    SMART goal can be neither its own parent nor anyone's ancestor, whatever its id.
    """
    if parent.tenant_id not in (None, meta.tenant_id):
        raise RuleViolation(
            ErrorCode.ALIGNMENT_ACROSS_TENANTS, "a goal can only serve goals of its own tenant"
        )
    if parent.objective_id == child_objective_id:
        raise RuleViolation(ErrorCode.ALIGNMENT_TO_SELF, "an objective cannot serve itself")
    found = facts.parents.get(parent.key)
    if found is None:
        raise RuleViolation(ErrorCode.UNKNOWN_PARENT, f"no objective {parent.objective_id!r}")
    if found.tenant_id != meta.tenant_id:
        raise RuleViolation(
            ErrorCode.ALIGNMENT_ACROSS_TENANTS, "a goal can only serve goals of its own tenant"
        )
    if found.status in (GoalStatus.CLOSED, GoalStatus.ARCHIVED):
        code = (
            ErrorCode.GOAL_CLOSED
            if found.status is GoalStatus.CLOSED
            else (ErrorCode.GOAL_ARCHIVED)
        )
        raise RuleViolation(code, f"the parent {parent.objective_id!r} is {found.status}")
    if child_objective_id is not None and child_objective_id in found.ancestor_ids:
        raise RuleViolation(
            ErrorCode.ALIGNMENT_CYCLE,
            f"{parent.objective_id!r} already serves {child_objective_id!r}: a cycle",
        )
    if parent.kind is ParentKind.KEY_RESULT and parent.key_result_id not in found.key_result_ids:
        raise RuleViolation(
            ErrorCode.UNKNOWN_KEY_RESULT,
            f"objective {parent.objective_id!r} has no key result {parent.key_result_id!r}",
        )
    if child_level.rank < found.level.rank:
        raise RuleViolation(
            ErrorCode.ALIGNMENT_LEVEL_INVERTED,
            f"a {child_level} goal cannot serve a {found.level} goal",
        )
    if aligned_to(parent, current_parents) is not None:
        raise RuleViolation(ErrorCode.ALREADY_ALIGNED, f"already serves {parent.key}")
    return found


def aligned_to(parent: ParentRef, current_parents: tuple[ParentRef, ...]) -> ParentRef | None:
    """The current parent that names the same goal as ``parent``, if any.

    Compared by ``key``: a ref that spells out the own tenant names the same parent
    as one that leaves it out (other tenants are refused before this is asked).
    """
    return next((p for p in current_parents if p.key == parent.key), None)


def require_aligned(parent: ParentRef, current_parents: tuple[ParentRef, ...]) -> ParentRef:
    """Unaligning needs an existing alignment; returns the parent as it was aligned."""
    found = aligned_to(parent, current_parents)
    if found is None:
        raise RuleViolation(ErrorCode.NOT_ALIGNED, f"does not serve {parent.key}")
    return found


def require_later_cycle(current: Cycle, to_cycle: Cycle) -> None:
    """A goal carries over only into a cycle that starts later."""
    if to_cycle.starts_on <= current.starts_on:
        raise RuleViolation(
            ErrorCode.CYCLE_NOT_LATER, f"{to_cycle.id} does not start after {current.id}"
        )
