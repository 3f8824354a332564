"""The real command handler and ingestor, wired as the service wires them, on fakes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from events.scoring_policy import ScoringPolicy
from services.adapters.command_ids import CommandIdClaims
from services.application.facts_loader import FactsLoader
from services.application.handler import CommandHandler
from services.application.ingest.service import Ingestor
from services.application.repository import Repository
from services.domain import DECIDERS
from tests.unit.factories import MID_Q4
from tests.unit.use_cases.fakes import InMemoryKeyValue, KeptLetters
from tests.unit.use_cases.memory_store import InMemoryEventStore


@dataclass
class Service:
    """One service's write side on an in-memory log."""

    store: InMemoryEventStore
    repository: Repository
    handler: CommandHandler
    ingestor: Ingestor
    dead_letters: KeptLetters

    def restarted(self) -> Service:
        """Another instance on the same log: an empty cache, no shared locks."""
        return wire(self.store)


def wire(store: InMemoryEventStore) -> Service:
    """Build the write side the way the bootstrap does."""
    repository = Repository(store, DECIDERS)
    claims = CommandIdClaims(InMemoryKeyValue())  # type: ignore[arg-type]
    handler = CommandHandler(
        store,
        repository,
        DECIDERS,
        FactsLoader(repository, ScoringPolicy()),
        lambda: MID_Q4,
        claims=claims,
    )
    letters = KeptLetters()
    ingestor = Ingestor(handler, letters, lambda: MID_Q4)
    return Service(store, repository, handler, ingestor, letters)


@pytest.fixture
def service() -> Service:
    """A fresh write side on an empty log."""
    return wire(InMemoryEventStore())
