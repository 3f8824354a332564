"""A tenant's scoring policy changed: its rows are scored again under the new one."""

from __future__ import annotations

from events.envelope import StoredEvent
from events.scoring_policy import ScoringPolicySet
from projections.read_models import scoring_policies
from projections.scoring import key_result_score
from projections.view import View


def apply_policy_change(view: View, stored: StoredEvent, p: ScoringPolicySet) -> None:
    """Put ``p.policy`` in force for its tenant and re-score every goal of the tenant.

    The view must hold all of the tenant's goals (``preload_tenant``). Goal scores follow
    in ``view.settle``; KR scores are set here, since they are stored on their rows.
    """
    tenant = stored.envelope.tenant_id
    view.policies[tenant] = p.policy
    view.changes.add(scoring_policies.MODEL, scoring_policies.change_row(stored, p))
    for kr in view.key_results.values():
        if kr.tenant_id == tenant:
            kr.score = key_result_score(kr.metric, kr.value, p.policy)
            view.put_key_result(kr)
    for goal in view.goals.values():
        if goal.tenant_id == tenant:
            view.put_goal(goal)
            view.unscored[goal.key] = goal
