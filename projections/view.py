"""The rows one batch reads and writes, and the scoring policy each tenant's rows follow."""

from __future__ import annotations

from dataclasses import dataclass, field

from events.values import Metric
from projections.rows import Changes, GoalKey, GoalRow, KeyResultKey, KeyResultRow
from projections.scoring import ScoringPolicy, key_result_score, weighted_rollup


@dataclass
class View:
    """The rows a batch reads and writes; ``changes`` collects what to flush."""

    goals: dict[GoalKey, GoalRow] = field(default_factory=dict)
    key_results: dict[KeyResultKey, KeyResultRow] = field(default_factory=dict)
    changes: Changes = field(default_factory=Changes)
    # Goals whose score inputs changed: scored once per batch (``settle``), not per event.
    unscored: dict[GoalKey, GoalRow] = field(default_factory=dict)
    # Each loaded tenant's own policy, None for a tenant that set none (the default applies).
    policies: dict[str, ScoringPolicy | None] = field(default_factory=dict)

    def put_goal(self, row: GoalRow) -> None:
        """Store (or mark changed) a goal row."""
        self.goals[row.key] = row
        self.changes.goals[row.key] = row

    def put_key_result(self, row: KeyResultRow) -> None:
        """Store (or mark changed) a key result row."""
        self.key_results[row.key] = row
        self.changes.key_results[row.key] = row

    def policy_of(self, tenant: str, default: ScoringPolicy) -> ScoringPolicy:
        """The policy ``tenant``'s rows are scored under (its policies must be preloaded)."""
        return self.policies.get(tenant) or default

    def settle(self, default: ScoringPolicy) -> None:
        """Score the goals whose key results, value or policy changed (call before flushing).

        A score is a function of the goal's current rows and its tenant's policy only, so
        scoring once after a batch gives what scoring after each of its events would have
        ended with.
        """
        for goal in self.unscored.values():
            _rescore(self, goal, self.policy_of(goal.tenant_id, default))
        self.unscored.clear()


def _score(metric: Metric | None, value: float | None, policy: ScoringPolicy) -> float:
    return 0.0 if metric is None else key_result_score(metric, value, policy)


def _rescore(view: View, goal: GoalRow, policy: ScoringPolicy) -> None:
    if goal.goal_type == "smart_goal":
        goal.score = _score(goal.metric, goal.value, policy)
        return
    krs = [view.key_results[(goal.tenant_id, goal.goal_id, k)] for k in goal.key_result_ids]
    goal.score = weighted_rollup([(kr.score, kr.weight) for kr in krs], policy)
