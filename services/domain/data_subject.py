"""The data subject decider, and whose key seals a goal event's personal fields."""

from __future__ import annotations

from dataclasses import dataclass

from events.data_subjects import DataSubjectErased
from events.envelope import EventPayload
from events.objectives import ObjectiveCreated
from events.personal import data_subject_of
from events.smart_goals import SmartGoalCreated
from services.domain.commands import Command, EraseDataSubject
from services.domain.errors import ErrorCode, RuleViolation
from services.domain.facts import NO_FACTS, DecisionFacts
from services.domain.state import ObjectiveState, SmartGoalState


@dataclass(frozen=True)
class DataSubjectState:
    """A person who was erased (once: erasing again stores nothing)."""

    subject_id: str


def decide_data_subject(
    state: DataSubjectState | None, command: Command, facts: DecisionFacts = NO_FACTS
) -> list[EventPayload]:
    """Erasure is recorded once; erasing again stores nothing (an idempotent duplicate)."""
    if not isinstance(command, EraseDataSubject):
        raise RuleViolation(ErrorCode.UNKNOWN_COMMAND, f"{command.name} is not for data subjects")
    if state is not None:
        return []
    return [DataSubjectErased(subject_id=command.subject_id, reason=command.reason)]


def evolve_data_subject(state: DataSubjectState | None, event: EventPayload) -> DataSubjectState:
    """Fold one data subject event."""
    if not isinstance(event, DataSubjectErased):
        raise TypeError(f"{event.event_type} is not a data subject event")
    return state or DataSubjectState(event.subject_id)


def sealing_subject(state: object, payload: EventPayload, actor: str) -> tuple[str, bool]:
    """Whose key seals ``payload``'s personal fields (decided on ``state``, by ``actor``),
    and whether the goal is individual-level (its titles are personal too)."""
    if isinstance(payload, ObjectiveCreated | SmartGoalCreated):
        return data_subject_of(payload.level, payload.owner, actor)
    if isinstance(state, ObjectiveState | SmartGoalState):
        return data_subject_of(state.level, state.owner, actor)
    return actor, False
