"""The consistency check's findings: live and replayed answers compared goal by goal, field
by field, the scores, pace and cascade as the API shows them and the rows beneath (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field

from projections.audit.consistency import Difference
from projections.views import CascadeNode, GoalScore

Fields = dict[tuple[str, str], Any]  # (goal, field) -> value
# Echoes of the question, not answers: equal on both sides by construction.
_ECHOES = frozenset({"tenant_id", "goal_type", "goal_id", "as_of", "key_results"})


class FieldDifference(BaseModel):
    """One field of one goal that is not the same live and in the replay."""

    model_config = ConfigDict(frozen=True)

    goal: str = Field(description="type/id, e.g. objective/co")
    field: str = Field(description="e.g. pace, key_results.arr.score, cascade.rolled_up_score")
    live: Any
    replay: Any


class ConsistencyCheck(BaseModel):
    """Live read models against a replay as of ``as_of``, known at ``known_at``."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    as_of: datetime
    known_at: datetime
    goals_compared: int
    differences: tuple[FieldDifference, ...]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def consistent(self) -> bool:
        """True when nothing differs."""
        return not self.differences


def goal_name(goal_type: str, goal_id: str) -> str:
    """How the check names a goal."""
    return f"{goal_type}/{goal_id}"


def score_fields(scores: Iterable[GoalScore]) -> Fields:
    """Every answered field of each goal, its KRs' fields dotted under their ids."""
    found: Fields = {}
    for s in scores:
        goal = goal_name(s.goal_type, s.goal_id)
        for name, value in s.model_dump(mode="json", exclude=set(_ECHOES)).items():
            found[(goal, name)] = value
        for kr in s.key_results:
            for name, value in kr.model_dump(mode="json", exclude={"key_result_id"}).items():
                found[(goal, f"key_results.{kr.key_result_id}.{name}")] = value
    return found


def cascade_fields(trees: Iterable[CascadeNode], parent: str | None = None) -> Fields:
    """Each goal's place in the cascade and its rolled-up score."""
    found: Fields = {}
    for node in trees:
        goal = goal_name(node.goal.goal_type, node.goal.goal_id)
        found[(goal, "cascade.parent")] = parent
        found[(goal, "cascade.aligned_to_key_result")] = node.aligned_to_key_result
        found[(goal, "cascade.rolled_up_score")] = node.rolled_up_score
        found |= cascade_fields(node.children, goal)
    return found


_ABSENT = "(absent)"


def field_differences(live: Mapping[tuple[str, str], Any], replay: Fields) -> list[FieldDifference]:
    """Each (goal, field) whose value is not the same on both sides."""
    return [
        FieldDifference(
            goal=goal,
            field=name,
            live=live.get((goal, name), _ABSENT),
            replay=replay.get((goal, name), _ABSENT),
        )
        for goal, name in sorted(live.keys() | replay.keys())
        if live.get((goal, name), _ABSENT) != replay.get((goal, name), _ABSENT)
    ]


def _row_name(d: Difference) -> str:
    return f"{d.table}[{', '.join(str(k) for k in d.key)}]"


def row_differences(rows: Sequence[Difference]) -> list[FieldDifference]:
    """The stored rows' differences, named by goal and ``table[key].column``."""
    found: list[FieldDifference] = []
    for d in rows:
        goal = d.goal or "(no goal)"
        if d.kind != "differs":
            live, replay = ("row", _ABSENT) if d.kind == "only_live" else (_ABSENT, "row")
            found.append(FieldDifference(goal=goal, field=_row_name(d), live=live, replay=replay))
            continue
        found += [
            FieldDifference(
                goal=goal, field=f"{_row_name(d)}.{column}", live=_plain(was), replay=_plain(now)
            )
            for column, was, now in zip(d.columns, d.live, d.replay, strict=True)
        ]
    return found


def _plain(value: Any) -> Any:
    # Rows hold datetimes and decimals: JSON and a table want their text.
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)
