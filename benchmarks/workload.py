"""A synthetic organisation's quarter as ready-made envelopes (valid events, in order).

The organisation: one company objective at the top, ``teams`` teams with two objectives
each (aligned to the company's key results), and ``people`` people who own the rest of
the goals, alternately an individual objective (aligned to a team key result) and a
SMART goal serving one. Every objective has 3-5 key results. The quarter then runs week
by week: a check-in on every key result and SMART goal, plus integration progress
reports (about one key result in three is fed by a tool, twice a week). A few targets are
adjusted mid-cycle, so the audit log has entries. Deterministic for a given size.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import islice

from events.envelope import Envelope, EventPayload
from events.goals import CheckInRecorded, GoalAligned, ProgressReported
from events.objectives import (
    KeyResultAdded,
    KeyResultAdjusted,
    KeyResultTerms,
    ObjectiveActivated,
    ObjectiveCreated,
)
from events.smart_goals import SmartGoalCreated
from events.values import (
    AggregateType,
    Commitment,
    Cycle,
    Level,
    Metric,
    MetricKind,
    ParentKind,
    ParentRef,
)

CYCLE = Cycle.quarter("2026-q4")
START = CYCLE.starts_at
WEEKS = 13
ADJUSTMENT_WEEK = 2  # targets found too low early in the quarter are raised then
TEAMS = 20
PEOPLE = 500
COMPANY_OBJECTIVE = "company"
# Events per goal, on average, over a quarter (measured on the generator): sizes a stream.
EVENTS_PER_GOAL = 61


@dataclass
class _Goal:
    goal_type: AggregateType
    goal_id: str
    key_results: list[tuple[str, Metric]] = field(default_factory=list)
    fed: list[str] = field(default_factory=list)  # KRs an integration reports on
    version: int = 0


def _metric(rng: random.Random) -> Metric:
    target = float(rng.choice((10, 40, 100, 250, 1000)))
    return Metric(kind=MetricKind.NUMERIC, unit="items", baseline=0.0, target=target)


class Organisation:
    """The organisation of one tenant with ``goals`` goals in all (at least the top two
    levels), and the quarter it lives through."""

    def __init__(
        self, tenant: str, goals: int = 10_000, teams: int = TEAMS, people: int = PEOPLE
    ) -> None:
        self.tenant = tenant
        self.teams = teams
        self.people = people
        self.goals = max(goals, 1 + 2 * teams)
        self._rng = random.Random(7)
        self._goals: list[_Goal] = []

    def _envelope(self, goal: _Goal, at: datetime, payload: EventPayload) -> Envelope:
        goal.version += 1
        return Envelope(
            event_id=uuid.UUID(int=self._rng.getrandbits(128), version=4),
            event_type=payload.event_type,
            schema_version=payload.schema_version,
            tenant_id=self.tenant,
            aggregate_type=goal.goal_type,
            aggregate_id=goal.goal_id,
            aggregate_version=goal.version,
            occurred_at=at,
            recorded_at=at,
            actor="bench",
            correlation_id=uuid.UUID(int=self._rng.getrandbits(128), version=4),
            causation_id=None,
            payload=payload,
        )

    def _objective(
        self, goal_id: str, level: Level, owner: str, parent: ParentRef | None
    ) -> Iterator[Envelope]:
        goal = _Goal(AggregateType.OBJECTIVE, goal_id)
        self._goals.append(goal)
        yield self._envelope(
            goal,
            START,
            ObjectiveCreated(
                title=f"Objective {goal_id}",
                level=level,
                owner=owner,
                cycle=CYCLE,
                commitment=Commitment.COMMITTED,
            ),
        )
        for k in range(self._rng.randint(3, 5)):
            kr_id, metric = f"kr{k}", _metric(self._rng)
            goal.key_results.append((kr_id, metric))
            if self._rng.random() < 1 / 3:
                goal.fed.append(kr_id)
            yield self._envelope(
                goal,
                START,
                KeyResultAdded(
                    key_result_id=kr_id,
                    terms=KeyResultTerms(title=f"KR {k} of {goal_id}", metric=metric, weight=1.0),
                    owner=owner,
                ),
            )
        if parent is not None:
            yield self._envelope(goal, START, GoalAligned(parent=parent))
        yield self._envelope(
            goal, START, ObjectiveActivated(key_result_count=len(goal.key_results))
        )

    def _smart_goal(self, goal_id: str, owner: str, parent: ParentRef) -> Envelope:
        goal = _Goal(AggregateType.SMART_GOAL, goal_id)
        self._goals.append(goal)
        metric = _metric(self._rng)
        goal.key_results.append(("", metric))
        if self._rng.random() < 1 / 2:
            goal.fed.append("")
        return self._envelope(
            goal,
            START,
            SmartGoalCreated(
                statement=f"Deliver {metric.target:.0f} items ({goal_id})",
                owner=owner,
                cycle=CYCLE,
                metric=metric,
                deadline=date(2026, 12, 18),
                achievability="done twice last year",
                serves=(parent,),
            ),
        )

    def _kr_of(self, goal: _Goal) -> ParentRef:
        kr_id, _ = self._rng.choice(goal.key_results)
        return ParentRef(kind=ParentKind.KEY_RESULT, objective_id=goal.goal_id, key_result_id=kr_id)

    def _setup(self) -> Iterator[Envelope]:
        yield from self._objective(COMPANY_OBJECTIVE, Level.COMPANY, "ceo", None)
        company = self._goals[0]
        team_goals: list[list[_Goal]] = []
        for t in range(self.teams):
            mine = []
            for n in range(2):
                yield from self._objective(
                    f"t{t}-o{n}", Level.TEAM, f"team-{t}", self._kr_of(company)
                )
                mine.append(self._goals[-1])
            team_goals.append(mine)
        for g in range(self.goals - len(self._goals)):
            person = g % self.people
            team = team_goals[person % self.teams]
            parent = self._kr_of(team[g % 2])
            owner = f"person-{person}"
            if g % 2 == 0:
                yield from self._objective(f"p{person}-o{g}", Level.INDIVIDUAL, owner, parent)
            else:
                yield self._smart_goal(f"p{person}-s{g}", owner, parent)

    def _week(self, week: int) -> Iterator[Envelope]:
        at = START + timedelta(days=7 * week, hours=9)
        share = (week + 1) / WEEKS
        for goal in self._goals:
            for kr_id, metric in goal.key_results:
                value = round(metric.target * share * self._rng.uniform(0.6, 1.2), 1)
                yield self._envelope(
                    goal,
                    at,
                    CheckInRecorded(
                        key_result_id=kr_id or None,
                        value=value,
                        confidence=round(self._rng.uniform(0.3, 0.9), 2),
                        note=f"week {week}: on track",  # personal: sealed when stored
                        applies_at=at,
                    ),
                )
            for kr_id in goal.fed:
                for day in (1, 4):
                    seen = at + timedelta(days=day)
                    yield self._envelope(
                        goal,
                        seen,
                        ProgressReported(
                            key_result_id=kr_id or None,
                            source="jira",
                            idempotency_key=f"{goal.goal_id}-{kr_id}-{week}-{day}",
                            value=round(metric.target * share * self._rng.uniform(0.6, 1.2), 1),
                            observed_at=seen,
                        ),
                    )
            objective = goal.goal_type is AggregateType.OBJECTIVE
            if week == ADJUSTMENT_WEEK and objective and goal.version % 17 == 0:
                yield self._adjustment(goal, at)

    def _adjustment(self, goal: _Goal, at: datetime) -> Envelope:
        index = self._rng.randrange(len(goal.key_results))
        kr_id, metric = goal.key_results[index]
        revised = metric.model_copy(update={"target": metric.target * 1.5})
        goal.key_results[index] = (kr_id, revised)
        title = f"KR {kr_id} of {goal.goal_id}"
        return self._envelope(
            goal,
            at,
            KeyResultAdjusted(
                key_result_id=kr_id,
                before=KeyResultTerms(title=title, metric=metric, weight=1.0),
                after=KeyResultTerms(title=title, metric=revised, weight=1.0),
                changed_fields=("metric.target",),
                mid_cycle=True,
                reason="the first half went better than planned",
            ),
        )

    def goals_of(self, goal_type: str) -> list[_Goal]:
        """The goals of one type generated so far (all of them once the quarter ran)."""
        return [g for g in self._goals if g.goal_type.value == goal_type]

    def quarter(self, weeks: int = WEEKS) -> Iterator[Envelope]:
        """Every event of the quarter's first ``weeks`` weeks, in the order they happen."""
        yield from self._setup()
        for week in range(weeks):
            yield from self._week(week)


def quarter(tenant: str, events: int) -> Iterator[Envelope]:
    """About ``events`` events (at most that many) of an organisation sized to fill them."""
    return islice(Organisation(tenant, goals=events // EVENTS_PER_GOAL).quarter(), events)


def now() -> datetime:
    """Wall clock for the benchmark's own timing labels."""
    return datetime.now(UTC)
