"""Commands: what a caller asks the service to do (imperative names).

Every command carries its metadata: who asks, when (``now``: the business time the
decider uses instead of a clock), and ids that make retries idempotent.
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID, uuid4

from pydantic import Field

from events.values import (
    AggregateType,
    Commitment,
    Confidence,
    Frozen,
    GoalType,
    Level,
    ParentRef,
    Token,
)
from services.domain.bounds import (
    BoundedCycle,
    BoundedMetric,
    BoundedTerms,
    Magnitude,
    WindowDate,
    WindowInstant,
)
from services.domain.ids import ReportName, data_subject_id

# Every text field is bounded as its event field is (the event model refuses more),
# and every number as a PostgreSQL column and the scoring hold it.
MAX_VERSION = 2**31 - 1  # read models keep versions in an integer column
MAX_SERVES = 20


class CommandMeta(Frozen):
    """Who asks, when, and under which ids."""

    tenant_id: Token
    actor: str = Field(min_length=1, max_length=200)
    now: WindowInstant = Field(description="business time of the request; stamped if omitted")
    command_id: UUID = Field(default_factory=uuid4, description="idempotency key of the request")
    correlation_id: UUID | None = None
    expected_version: int | None = Field(
        default=None,
        ge=0,
        le=MAX_VERSION,
        description="fail with a conflict unless the goal is at this version (no auto-retry)",
    )


class Command(Frozen):
    """Base of all commands; ``name`` is the last token of its NATS subject."""

    name: ClassVar[str]
    aggregate_type: ClassVar[AggregateType]

    meta: CommandMeta

    @property
    def aggregate_id(self) -> str:
        """Id of the aggregate this command addresses."""
        raise NotImplementedError

    @property
    def target_type(self) -> AggregateType:
        """Type of the aggregate this command addresses."""
        return self.aggregate_type

    def request(self) -> dict[str, Any]:
        """What makes two sends the same request: everything but the business time,
        which the service stamps when a caller omits it."""
        return self.model_dump(mode="json", exclude={"meta": {"now"}})


class ObjectiveCommand(Command):
    """A command addressed to one objective."""

    aggregate_type = AggregateType.OBJECTIVE
    objective_id: Token

    @property
    def aggregate_id(self) -> str:
        """The objective's id."""
        return self.objective_id


class SmartGoalCommand(Command):
    """A command addressed to one SMART goal."""

    aggregate_type = AggregateType.SMART_GOAL
    goal_id: Token

    @property
    def aggregate_id(self) -> str:
        """The SMART goal's id."""
        return self.goal_id


class CreateObjective(ObjectiveCommand):
    """Draft an objective for a cycle."""

    name = "create_objective"
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=5000)
    level: Level
    owner: str = Field(min_length=1, max_length=200)
    team: str | None = Field(default=None, max_length=200)
    cycle: BoundedCycle
    commitment: Commitment = Commitment.COMMITTED


class AddKeyResult(ObjectiveCommand):
    """Add a key result (at most five per objective)."""

    name = "add_key_result"
    key_result_id: Token
    terms: BoundedTerms
    owner: str | None = Field(default=None, max_length=200)


class ActivateObjective(ObjectiveCommand):
    """Put a drafted objective live."""

    name = "activate_objective"


class AdjustKeyResult(ObjectiveCommand):
    """Change a key result's terms; after the cycle started a reason is required."""

    name = "adjust_key_result"
    key_result_id: Token
    title: str | None = Field(default=None, min_length=1, max_length=300)
    metric: BoundedMetric | None = None
    weight: float | None = Field(default=None, gt=0.0, le=100.0)
    reason: str | None = Field(default=None, max_length=2000)


class CreateSmartGoal(SmartGoalCommand):
    """Set a SMART goal; rejected criterion by criterion when it isn't SMART."""

    name = "create_smart_goal"
    statement: str = Field(default="", max_length=1000)
    owner: str = Field(min_length=1, max_length=200)
    level: Level = Level.INDIVIDUAL
    cycle: BoundedCycle
    metric: BoundedMetric | None = None
    deadline: WindowDate | None = None
    achievability: str = Field(default="", max_length=2000)
    initial_confidence: Confidence | None = None
    serves: tuple[ParentRef, ...] = Field(default=(), max_length=MAX_SERVES)
    personal: bool = False


class GoalCommand(Command):
    """A command that applies to either kind of goal."""

    goal_type: GoalType
    goal_id: Token

    @property
    def aggregate_id(self) -> str:
        """The goal's id."""
        return self.goal_id

    @property
    def target_type(self) -> AggregateType:
        """An objective or a SMART goal, as the command says."""
        return self.goal_type


class AlignGoal(GoalCommand):
    """Make the goal contribute to a parent objective or key result."""

    name = "align_goal"
    parent: ParentRef


class UnalignGoal(GoalCommand):
    """Stop the goal contributing to a parent."""

    name = "unalign_goal"
    parent: ParentRef
    reason: str | None = Field(default=None, max_length=2000)


class RecordCheckIn(GoalCommand):
    """Record a value and a confidence for a key result or a SMART goal."""

    name = "record_check_in"
    key_result_id: Token | None = None
    value: Magnitude
    confidence: Confidence
    note: str = Field(default="", max_length=5000)
    applies_at: WindowInstant | None = Field(default=None, description="defaults to meta.now")


class ReportProgress(GoalCommand):
    """An integration reports an observed value, idempotently by its own key."""

    name = "report_progress"
    key_result_id: Token | None = None
    source: Token
    idempotency_key: str = Field(min_length=1, max_length=200)
    value: Magnitude
    observed_at: WindowInstant

    @property
    def report(self) -> ReportName:
        """The report this command carries, as every id of a report derives from it."""
        return ReportName(
            self.meta.tenant_id,
            self.goal_type.value,
            self.goal_id,
            self.source,
            self.idempotency_key,
        )

    def request(self) -> dict[str, Any]:
        """A report is its name: sent again with another value (or key result) it is
        still the same report, so the command id that carried it still names it."""
        return {"report": self.report.path}


class CloseGoal(GoalCommand):
    """Close (and optionally grade) a goal."""

    name = "close_goal"
    grade: float | None = Field(default=None, ge=0.0, le=1.0)
    note: str = Field(default="", max_length=5000)


class CarryOverGoal(GoalCommand):
    """Continue an unfinished goal in a later cycle."""

    name = "carry_over_goal"
    to_cycle: BoundedCycle
    reason: str | None = Field(default=None, max_length=2000)


class ArchiveGoal(GoalCommand):
    """Archive a goal."""

    name = "archive_goal"
    reason: str | None = Field(default=None, max_length=2000)


class EraseDataSubject(Command):
    """Forget a person: destroy their key, so every field sealed under it reads [erased]."""

    name = "erase_data_subject"
    aggregate_type = AggregateType.DATA_SUBJECT
    subject_id: str = Field(min_length=1, max_length=200, description="the person's id")
    reason: str = Field(min_length=1, max_length=2000, description="why, e.g. a reference")

    @property
    def aggregate_id(self) -> str:
        """The data subject's derived id."""
        return data_subject_id(self.subject_id)


class TenantSettingCommand(Command):
    """A command that changes one of the tenant's settings, its own aggregate (admin only)."""

    aggregate_type = AggregateType.TENANT_SETTING
    setting: ClassVar[str]

    @property
    def aggregate_id(self) -> str:
        """The setting's name: its aggregate's id."""
        return self.setting


COMMAND_TYPES: tuple[type[Command], ...] = (
    CreateObjective,
    AddKeyResult,
    ActivateObjective,
    AdjustKeyResult,
    CreateSmartGoal,
    AlignGoal,
    UnalignGoal,
    RecordCheckIn,
    ReportProgress,
    CloseGoal,
    CarryOverGoal,
    ArchiveGoal,
    EraseDataSubject,
)
