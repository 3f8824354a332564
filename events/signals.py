"""Signals: what the service tells other services about a goal's rhythm and hygiene.

Signals are not events of a goal (they change nothing in the log); they are kept on their
own stream (``OKR_SIGNALS``), one subject per goal and signal type:
``signal.<root>.<tenant>.<goal_type>.<goal_id>.<signal_type>``, e.g.
``signal.okr.acme.objective.q4-growth.check_in.due``. Each is published once per goal and
due date (its ``signal_id`` is the Nats-Msg-Id); docs/signals.md says when each fires.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from events.cadence import CadenceTerms
from events.values import Frozen, GoalType, Token


class Signal(Frozen):
    """Base of every signal: which goal, which due date, and why now."""

    signal_type: str = Field(description="which signal, e.g. 'check_in.due'")
    schema_version: Literal[1] = Field(default=1, description="version of the signal's schema")
    signal_id: UUID = Field(description="derived from goal, type and due date: the Nats-Msg-Id")
    tenant_id: Token
    goal_type: GoalType = Field(description="objective or smart_goal")
    goal_id: Token
    title: str = Field(max_length=1000)
    owner: str = Field(max_length=200)
    team: str | None = Field(default=None, max_length=200)
    cycle_id: Token
    fires_at: AwareDatetime = Field(description="the business instant the signal became true")
    emitted_at: AwareDatetime = Field(description="the business time of the scan that sent it")

    @classmethod
    def type_name(cls) -> str:
        """The wire name of this signal type."""
        return str(cls.model_fields["signal_type"].default)


class CadenceSignal(Signal):
    """A signal about one due check-in."""

    due_at: AwareDatetime = Field(description="the check-in's due date")
    cadence: CadenceTerms = Field(description="the cadence in force for the goal")
    last_check_in_at: AwareDatetime | None = Field(
        description="business time of the goal's latest check-in; null: none yet"
    )
    missed: int = Field(ge=1, description="check-ins missed by this due date (1 = this one)")


class CheckInDue(CadenceSignal):
    """A check-in is due today: a cadence period has passed since the last one."""

    signal_type: Literal["check_in.due"] = "check_in.due"


class CheckInOverdue(CadenceSignal):
    """A due check-in is still missing when the grace period has passed."""

    signal_type: Literal["check_in.overdue"] = "check_in.overdue"


class GoalStale(CadenceSignal):
    """The goal missed ``cadence.stale_after_missed`` check-ins in a row (grace included)."""

    signal_type: Literal["goal.stale"] = "goal.stale"


class HygieneFlag(Frozen):
    """One goal-hygiene finding (docs/hygiene.md lists the codes)."""

    code: str = Field(description="e.g. 'key_result_reads_as_task'")
    message: str = Field(description="what is wrong and what to do, for a person")
    key_result_id: Token | None = Field(default=None, description="the KR it is about, if one")


class GoalHygieneFlagged(Signal):
    """The goal shows hygiene findings it did not show in its previous signal."""

    signal_type: Literal["goal.hygiene_flagged"] = "goal.hygiene_flagged"

    flags: tuple[HygieneFlag, ...] = Field(min_length=1, description="every current finding")
    new_codes: tuple[str, ...] = Field(description="codes not in the goal's previous signal")


SIGNAL_TYPES: tuple[type[Signal], ...] = (CheckInDue, CheckInOverdue, GoalStale, GoalHygieneFlagged)
SIGNALS_BY_TYPE: dict[str, type[Signal]] = {s.type_name(): s for s in SIGNAL_TYPES}
