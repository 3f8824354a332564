"""Facts from outside one aggregate that a decision needs; the I/O layer loads them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from events.scoring_policy import ScoringPolicy
from events.values import Level, ParentRef
from services.domain.state import GoalStatus


@dataclass(frozen=True)
class ParentFacts:
    """What is known about a parent objective when aligning a goal to it (or its KR)."""

    ref: ParentRef
    tenant_id: str
    level: Level
    key_result_ids: frozenset[str]
    ancestor_ids: frozenset[str]  # the parent objective and every objective above it
    status: GoalStatus


@dataclass(frozen=True)
class DecisionFacts:
    """Parents keyed by ``ParentRef.key`` (a missing key: no such parent), when the
    service received the command (its clock, read at the edge; None in pure specs), and
    the deployment's default scoring policy (the built-in one in pure specs)."""

    parents: Mapping[str, ParentFacts] = field(default_factory=dict)
    received_at: datetime | None = None
    default_scoring_policy: ScoringPolicy = field(default_factory=ScoringPolicy)


NO_FACTS = DecisionFacts()
