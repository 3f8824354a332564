"""A tenant's scoring policy: the settings OKR products disagree on, and the event that sets them.

``ScoringPolicy`` is the one definition of the settings (their names, bounds and built-in
defaults); docs/scoring.md says why each default is what it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import AwareDatetime, Field, ValidationInfo, create_model, field_validator

from events.envelope import EventPayload
from events.values import AggregateType, FiniteFloat, Frozen

KeepComparison = Literal["inclusive", "strict"]
# Bounds every number can be stored and compared under; wider values mean nothing here.
Ratio = Annotated[FiniteFloat, Field(ge=0.0, le=10.0)]
Expectation = Annotated[FiniteFloat, Field(gt=0.0, le=10.0)]


class ScoringPolicy(Frozen):
    """How scores are computed; the projection and every replay use the one in force."""

    cap_key_result_at_one: bool = Field(default=True, description="a KR scores at most 1.0")
    cap_rollup_at_one: bool = Field(
        default=True, description="in a roll-up each child counts at most 1.0"
    )
    keep_comparison: KeepComparison = Field(
        default="inclusive", description="keep/range KRs: an exact hit passes (inclusive) or not"
    )
    floor_at_zero: bool = Field(default=True, description="a score below 0 becomes 0")
    at_risk_ratio: Ratio = Field(default=0.9, description="below this share of the bar: at risk")
    off_track_ratio: Ratio = Field(
        default=0.6, description="below this share of the bar: off track (<= at_risk_ratio)"
    )
    yellow_from: Ratio = Field(default=0.4, description="lowest score shown yellow")
    green_from: Ratio = Field(default=0.7, description="lowest score shown green (>= yellow_from)")
    committed_expectation: Expectation = Field(
        default=1.0, description="the score that counts as success for a committed OKR"
    )
    aspirational_expectation: Expectation = Field(
        default=0.7, description="the score that counts as success for an aspirational OKR"
    )
    smart_goal_expectation: Expectation = Field(
        default=1.0, description="the score that counts as success for a SMART goal"
    )

    @field_validator("off_track_ratio")
    @classmethod
    def _below_at_risk(cls, value: float, info: ValidationInfo) -> float:
        at_risk = info.data.get("at_risk_ratio")
        if at_risk is not None and value > at_risk:
            raise ValueError(f"off_track_ratio {value} exceeds at_risk_ratio {at_risk}")
        return value

    @field_validator("green_from")
    @classmethod
    def _above_yellow(cls, value: float, info: ValidationInfo) -> float:
        yellow = info.data.get("yellow_from")
        if yellow is not None and value < yellow:
            raise ValueError(f"green_from {value} is below yellow_from {yellow}")
        return value

    def changed_from(self, other: ScoringPolicy) -> tuple[str, ...]:
        """The settings whose value differs from ``other``'s, in declaration order."""
        names = type(self).model_fields
        return tuple(name for name in names if getattr(self, name) != getattr(other, name))

    def with_changes(self, changes: dict[str, Any]) -> ScoringPolicy:
        """This policy with ``changes`` applied, validated as a whole."""
        return ScoringPolicy.model_validate({**self.model_dump(), **changes})


def _optional(name: str) -> Any:
    info = ScoringPolicy.model_fields[name]
    kind: Any = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
    return (kind | None, Field(None, description=info.description))


if TYPE_CHECKING:

    class ScoringPolicyChanges(Frozen):
        """Some settings of a scoring policy; a setting left out keeps its value."""

else:
    # Built from ScoringPolicy, so the settings are spelled (and bounded) in one place.
    ScoringPolicyChanges = create_model(
        "ScoringPolicyChanges",
        __base__=Frozen,
        __doc__="Some settings of a scoring policy; a setting left out keeps its value.",
        **{name: _optional(name) for name in ScoringPolicy.model_fields},
    )


class ScoringPolicySet(EventPayload):
    """A tenant's scoring policy changed; it is in force from the event's ``occurred_at``."""

    event_type: ClassVar[str] = "scoring_policy.set"
    schema_version: ClassVar[int] = 1
    aggregate_types = (AggregateType.TENANT_SETTING,)

    effective_at: AwareDatetime = Field(description="from when it is in force (business time)")
    policy: ScoringPolicy = Field(description="every setting, as in force from then on")
    previous: ScoringPolicy = Field(
        description="every setting as in force just before (the deployment default at first)"
    )
    changed: tuple[str, ...] = Field(description="the settings whose value changed")
    reason: str | None = Field(default=None, max_length=2000, description="why, in words")
