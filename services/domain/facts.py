"""Facts from outside one aggregate that a decision needs; the I/O layer loads them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

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
    """Parents keyed by ``ParentRef.key``; a missing key means the parent doesn't exist."""

    parents: Mapping[str, ParentFacts] = field(default_factory=dict)


NO_FACTS = DecisionFacts()


def ancestors(start: str, parents_of: Mapping[str, Iterable[str]]) -> frozenset[str]:
    """``start`` and every objective reachable upward from it."""
    seen = {start}
    frontier = [start]
    while frontier:
        for parent in parents_of.get(frontier.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                frontier.append(parent)
    return frozenset(seen)
