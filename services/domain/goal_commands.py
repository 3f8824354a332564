"""Decisions both goal kinds make alike: alignment, check-ins, reports, lifecycle."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from events.envelope import EventPayload
from events.goals import (
    CheckInRecorded,
    GoalAligned,
    GoalArchived,
    GoalCarriedOver,
    GoalClosed,
    GoalUnaligned,
    ProgressReported,
)
from events.values import Metric
from services.domain import rules
from services.domain.commands import (
    AlignGoal,
    ArchiveGoal,
    CarryOverGoal,
    CloseGoal,
    GoalCommand,
    RecordCheckIn,
    ReportProgress,
    UnalignGoal,
)
from services.domain.errors import ErrorCode, RuleViolation
from services.domain.facts import DecisionFacts
from services.domain.ids import seen_key
from services.domain.state import GoalState, GoalStatus, ObjectiveState, SmartGoalState

S = TypeVar("S", ObjectiveState, SmartGoalState)
MetricOf = Callable[[str | None], Metric]  # key result id (None for SMART goals) -> its metric


def decide_goal_command(
    state: GoalState, command: GoalCommand, facts: DecisionFacts, metric_of: MetricOf
) -> list[EventPayload]:
    """Decide a command that objectives and SMART goals handle the same way."""
    meta = command.meta
    match command:
        case AlignGoal():
            rules.require_open(state.status)
            own_id = command.goal_id if isinstance(state, ObjectiveState) else None
            rules.check_parent(own_id, state.level, command.parent, state.parents, meta, facts)
            return [GoalAligned(parent=command.parent)]
        case UnalignGoal():
            rules.require_open(state.status)
            aligned = rules.require_aligned(command.parent, state.parents)
            return [GoalUnaligned(parent=aligned, reason=command.reason)]
        case RecordCheckIn():
            rules.require_open(state.status)
            applies_at = command.applies_at or meta.now
            rules.require_confidence(command.confidence)
            rules.require_fits(metric_of(command.key_result_id), command.value)
            rules.require_observable(applies_at, meta.now, state.cycle)
            return [
                CheckInRecorded(
                    key_result_id=command.key_result_id,
                    value=command.value,
                    confidence=command.confidence,
                    note=command.note,
                    applies_at=applies_at,
                )
            ]
        case ReportProgress():
            # Checked first: a resend of a counted report succeeds without effect, even
            # after the goal closed, moved cycle or had its metric adjusted since.
            if command.report.seen_key in state.seen_progress:
                return []
            rules.require_open(state.status)
            rules.require_fits(metric_of(command.key_result_id), command.value)
            rules.require_observable(command.observed_at, meta.now, state.cycle)
            return [
                ProgressReported(
                    key_result_id=command.key_result_id,
                    source=command.source,
                    idempotency_key=command.idempotency_key,
                    value=command.value,
                    observed_at=command.observed_at,
                )
            ]
        case CloseGoal():
            rules.require_open(state.status)
            return [GoalClosed(grade=command.grade, note=command.note)]
        case CarryOverGoal():
            rules.require_open(state.status)
            rules.require_later_cycle(state.cycle, command.to_cycle)
            return [
                GoalCarriedOver(
                    from_cycle=state.cycle, to_cycle=command.to_cycle, reason=command.reason
                )
            ]
        case ArchiveGoal():
            if state.status is GoalStatus.ARCHIVED:
                raise RuleViolation(ErrorCode.GOAL_ARCHIVED, "the goal is archived")
            return [GoalArchived(reason=command.reason)]
    raise RuleViolation(ErrorCode.UNKNOWN_COMMAND, f"{command.name} does not apply to goals")


def evolve_goal_event(state: S, event: EventPayload) -> S:
    """Apply an event both goal kinds share; unknown events leave the state as it is."""
    match event:
        case GoalAligned():
            return replace(state, parents=(*state.parents, event.parent))
        case GoalUnaligned():
            kept = tuple(p for p in state.parents if p.key != event.parent.key)
            return replace(state, parents=kept)
        case ProgressReported():
            seen = state.seen_progress.set(seen_key(event.source, event.idempotency_key), True)
            return replace(state, seen_progress=seen)
        case GoalClosed():
            return replace(state, status=GoalStatus.CLOSED)
        case GoalCarriedOver():
            return replace(state, cycle=event.to_cycle)
        case GoalArchived():
            return replace(state, status=GoalStatus.ARCHIVED)
    return state
