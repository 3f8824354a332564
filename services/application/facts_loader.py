"""Loads what a decision needs beyond its own aggregate: the parents in the cascade."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from events.scoring_policy import ScoringPolicy
from events.values import AggregateType, ParentRef
from services.application.repository import Repository
from services.domain.commands import AlignGoal, Command, CreateSmartGoal
from services.domain.facts import DecisionFacts, ParentFacts

# The cascade is company → team → individual; a chain far longer than this is a data
# problem, and bounding the walk keeps one command from reading the whole tenant.
MAX_ANCESTORS = 1_000


def parents_named(command: Command) -> tuple[ParentRef, ...]:
    """The parents a command refers to."""
    if isinstance(command, AlignGoal):
        return (command.parent,)
    if isinstance(command, CreateSmartGoal):
        return command.serves
    return ()


class FactsLoader:
    """Reads parent objectives (and their ancestors) for alignment decisions, and hands
    every decision the deployment's default scoring policy."""

    def __init__(self, repository: Repository, default_policy: ScoringPolicy) -> None:
        self._repository = repository
        self._base = DecisionFacts(default_scoring_policy=default_policy)

    async def load(self, command: Command) -> DecisionFacts:
        """Facts about every parent the command names; unknown parents are left out."""
        refs = parents_named(command)
        if not refs:
            return self._base
        tenant = command.meta.tenant_id
        facts: dict[str, ParentFacts] = {}
        for ref in refs:
            # Another tenant's goals are never read: the decider refuses the alignment.
            if ref.tenant_id not in (None, tenant):
                continue
            loaded = await self._repository.load(
                tenant, AggregateType.OBJECTIVE.value, ref.objective_id
            )
            if loaded.state is None:
                continue
            state = loaded.state
            facts[ref.key] = ParentFacts(
                ref=ref,
                tenant_id=tenant,
                level=state.level,
                key_result_ids=state.key_result_ids,
                ancestor_ids=await self._ancestors(tenant, ref.objective_id),
                status=state.status,
            )
        return replace(self._base, parents=facts)

    async def _ancestors(self, tenant: str, objective_id: str) -> frozenset[str]:
        seen = {objective_id}
        frontier = [objective_id]
        while frontier and len(seen) < MAX_ANCESTORS:
            loaded = await self._repository.load(
                tenant, AggregateType.OBJECTIVE.value, frontier.pop()
            )
            for parent_id in _parent_objectives(loaded.state):
                if parent_id not in seen:
                    seen.add(parent_id)
                    frontier.append(parent_id)
        return frozenset(seen)


def _parent_objectives(state: object | None) -> Iterable[str]:
    parents: Iterable[ParentRef] = getattr(state, "parents", ())
    return (parent.objective_id for parent in parents)
