"""Payloads of versions the code no longer writes, frozen by hand for the JSON Schemas.

Stored events never change, so a superseded version's schema is frozen here when its
successor and upcaster are added. Every upcaster key must have one (checked in
``events.contract``). The versions before sealing hold every text in plaintext.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from pydantic import AwareDatetime, BaseModel, Field

from events.cadence import CadenceTerms
from events.scoring_policy import ScoringPolicy
from events.values import (
    Commitment,
    Confidence,
    Cycle,
    FiniteFloat,
    Frozen,
    GoalType,
    Level,
    Metric,
    ParentRef,
    Token,
)


class CheckInRecordedV1(Frozen):
    """check_in.recorded v1 (superseded): v2 added ``applies_at``, upcast from occurred_at."""

    key_result_id: Token | None = Field(description="the KR; null for a SMART goal")
    value: FiniteFloat
    confidence: Confidence
    note: str = Field(default="", max_length=5000)


class CheckInRecordedV2(CheckInRecordedV1):
    """check_in.recorded v2 (superseded): the note in plaintext; v3 seals it."""

    applies_at: AwareDatetime = Field(description="the instant the value held")


class ObjectiveCreatedV1(Frozen):
    """objective.created v1 (superseded): title and description in plaintext."""

    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=5000)
    level: Level
    owner: str = Field(min_length=1, max_length=200, description="person or team accountable")
    team: str | None = Field(default=None, max_length=200)
    cycle: Cycle
    commitment: Commitment


class KeyResultTermsV1(Frozen):
    """A key result's terms as v1 events store them (title in plaintext)."""

    title: str = Field(min_length=1, max_length=300)
    metric: Metric
    weight: float = Field(gt=0.0, le=100.0, description="relative weight in the roll-up")


class KeyResultAddedV1(Frozen):
    """key_result.added v1 (superseded): the title in plaintext."""

    key_result_id: Token
    terms: KeyResultTermsV1
    owner: str | None = Field(default=None, max_length=200)


class KeyResultAdjustedV1(Frozen):
    """key_result.adjusted v1 (superseded): titles and reason in plaintext."""

    key_result_id: Token
    before: KeyResultTermsV1
    after: KeyResultTermsV1
    changed_fields: tuple[str, ...] = Field(description="e.g. ('metric.target', 'weight')")
    mid_cycle: bool = Field(description="true when made after the cycle started")
    reason: str | None = Field(default=None, max_length=2000)


class SmartGoalCreatedV1(Frozen):
    """smart_goal.created v1 (superseded): statement and achievability in plaintext."""

    statement: str = Field(max_length=1000)
    owner: str = Field(min_length=1, max_length=200)
    level: Level = Level.INDIVIDUAL
    cycle: Cycle
    metric: Metric
    deadline: date
    achievability: str = Field(default="", max_length=2000, description="why it is achievable")
    initial_confidence: Confidence | None = None
    serves: tuple[ParentRef, ...] = Field(default=(), description="what it contributes to")
    personal: bool = Field(default=False, description="explicitly serves no team goal")


class GoalUnalignedV1(Frozen):
    """goal.unaligned v1 (superseded): the reason in plaintext."""

    parent: ParentRef
    reason: str | None = Field(default=None, max_length=2000)


class GoalClosedV1(Frozen):
    """goal.closed v1 (superseded): the note in plaintext."""

    grade: float | None = Field(default=None, ge=0.0, le=1.0, description="owner's grade")
    note: str = Field(default="", max_length=5000)


class GoalCarriedOverV1(Frozen):
    """goal.carried_over v1 (superseded): the reason in plaintext."""

    from_cycle: Cycle
    to_cycle: Cycle
    reason: str | None = Field(default=None, max_length=2000)


class GoalArchivedV1(Frozen):
    """goal.archived v1 (superseded): the reason in plaintext."""

    reason: str | None = Field(default=None, max_length=2000)


class ScoringPolicySetV1(Frozen):
    """scoring_policy.set v1 (superseded): the reason in plaintext."""

    effective_at: AwareDatetime = Field(description="from when it is in force (business time)")
    policy: ScoringPolicy = Field(description="every setting, as in force from then on")
    previous: ScoringPolicy = Field(
        description="every setting as in force just before (the deployment default at first)"
    )
    changed: tuple[str, ...] = Field(description="the settings whose value changed")
    reason: str | None = Field(default=None, max_length=2000, description="why, in words")


class CheckInCadenceSetV1(Frozen):
    """check_in_cadence.set v1 (superseded): the reason in plaintext."""

    goal_type: GoalType | None = Field(default=None, description="objective or smart_goal")
    goal_id: Token | None = Field(default=None, description="one goal's override")
    cadence: CadenceTerms
    reason: str | None = Field(default=None, max_length=2000)


HISTORICAL_PAYLOADS: Mapping[tuple[str, int], type[BaseModel]] = {
    ("check_in.recorded", 1): CheckInRecordedV1,
    ("check_in.recorded", 2): CheckInRecordedV2,
    ("objective.created", 1): ObjectiveCreatedV1,
    ("key_result.added", 1): KeyResultAddedV1,
    ("key_result.adjusted", 1): KeyResultAdjustedV1,
    ("smart_goal.created", 1): SmartGoalCreatedV1,
    ("goal.unaligned", 1): GoalUnalignedV1,
    ("goal.closed", 1): GoalClosedV1,
    ("goal.carried_over", 1): GoalCarriedOverV1,
    ("goal.archived", 1): GoalArchivedV1,
    ("scoring_policy.set", 1): ScoringPolicySetV1,
    ("check_in_cadence.set", 1): CheckInCadenceSetV1,
}
