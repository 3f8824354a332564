"""Events of the SMART goal aggregate."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field

from events.envelope import EventPayload
from events.personal import personal, personal_when_individual
from events.values import AggregateType, Confidence, Cycle, Level, Metric, ParentRef


class SmartGoalCreated(EventPayload):
    """A SMART goal was set; each of S, M, A, R, T has a checkable field.

    S: ``statement``; M: ``metric`` (kind, baseline, target); A: ``achievability`` and
    ``initial_confidence``; R: ``serves`` (or ``personal``); T: ``deadline`` within ``cycle``.
    Schema v2 stores its personal fields sealed; v1 is read as it is.
    """

    event_type: ClassVar[str] = "smart_goal.created"
    schema_version: ClassVar[int] = 2
    aggregate_types = (AggregateType.SMART_GOAL,)

    statement: str = personal_when_individual(max_length=1000)
    owner: str = Field(min_length=1, max_length=200)
    level: Level = Level.INDIVIDUAL
    cycle: Cycle
    metric: Metric
    deadline: date
    achievability: str = personal(default="", max_length=2000, description="why it is achievable")
    initial_confidence: Confidence | None = None
    serves: tuple[ParentRef, ...] = Field(default=(), description="what it contributes to")
    personal: bool = Field(default=False, description="explicitly serves no team goal")
