"""Property-based fuzzing of every command and of progress reports, against the real
service: each request is answered in time with success or a typed error (never a crash,
never silence), and the stream grows by exactly what the answer says (no partial write)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from nats.aio.client import Client

from events.subjects import Subjects
from services.adapters.event_store import EventStore
from services.application.ingest.reports import IngestReply
from services.bootstrap import CommandService, command_service
from services.client import OkrClient
from services.domain.errors import ErrorCode
from services.domain.replies import Accepted, Rejected
from services.settings import Settings
from tests.faults.load import Q4, Ledger, send_until_settled
from tests.faults.payloads import (
    EXISTING_KRS,
    EXISTING_OBJECTIVE,
    EXISTING_SMART_GOAL,
    command_requests,
    ingest_bodies,
)
from tests.faults.profiles import connect
from tests.faults.proof import Figures

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 15, 12, tzinfo=UTC)  # the service's clock: inside Q4
ANSWER_TIMEOUT_S = 10.0
# Answers that would mean the service failed rather than judged the request.
NOT_A_JUDGEMENT = {ErrorCode.INTERNAL_ERROR, ErrorCode.UNAVAILABLE}
FAST_EXAMPLES, SLOW_EXAMPLES = 150, 3000
FUZZ_SETTINGS: dict[str, Any] = {
    "deadline": None,
    "database": None,  # no .hypothesis/ in the checkout
    # One service serves every example: that is the point, not a fixture mistake.
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}


@dataclass
class Fuzzed:
    """The running service, a client, and the tallies of one fuzzing test."""

    service: CommandService
    nc: Client
    client: OkrClient
    store: EventStore
    tenant: str
    figures: Figures
    started: float = field(default_factory=time.monotonic)

    def tally(self, elapsed_s: float) -> None:
        """Count one request and how long its answer took."""
        self.figures.commands_sent += 1
        self.figures.slowest_reply_s = max(self.figures.slowest_reply_s, round(elapsed_s, 3))
        self.figures.seconds = time.monotonic() - self.started

    def refused(self, code: ErrorCode) -> None:
        """Count one final refusal by its code."""
        self.figures.commands_refused += 1
        refusals = self.figures.refusals
        refusals[code.value] = refusals.get(code.value, 0) + 1

    async def head(self) -> int:
        """The stream's last sequence."""
        info = await self.nc.jetstream().stream_info(self.service.stream_name)
        return int(info.state.last_seq)

    async def new_event_ids(self, after: int) -> list[UUID]:
        """Ids of the events stored after sequence ``after``."""
        subject = self.service.subjects.all_events()
        return [e.envelope.event_id for e in await self.store.load_matching(subject, after)]


@pytest.fixture
async def fuzzed(
    nats_url: str, fault_settings: Settings, tenant: str, record_figures: list[Figures]
) -> AsyncIterator[Callable[[str, str], Fuzzed]]:
    """A service on a fixed clock with an objective (KRs k1, k2) and a SMART goal."""
    settings = replace(fault_settings, nats_url=nats_url)
    async with command_service(settings, nats_url, clock=lambda: NOW) as service:
        nc = await connect(nats_url)
        try:
            client = OkrClient(nc, tenant, "fuzzer", service.subjects, ANSWER_TIMEOUT_S)
            await _set_up(client)
            store = EventStore(nc, service.stream_name, Subjects(settings.subject_root))

            def make(scenario: str, profile: str) -> Fuzzed:
                figures = Figures(scenario, profile, "hypothesis")
                record_figures.append(figures)
                return Fuzzed(service, nc, client, store, tenant, figures)

            yield make
        finally:
            await nc.close()


async def _set_up(client: OkrClient) -> None:
    ledger = Ledger()
    now = "2026-10-02T09:00:00Z"
    objective = ("objective", EXISTING_OBJECTIVE)
    commands: list[tuple[str, tuple[str, str], dict[str, Any]]] = [
        (
            "create_objective",
            objective,
            {
                "objective_id": EXISTING_OBJECTIVE,
                "title": "Fuzzed",
                "level": "team",
                "owner": "lead",
                "cycle": Q4,
            },
        ),
        *(
            (
                "add_key_result",
                objective,
                {
                    "objective_id": EXISTING_OBJECTIVE,
                    "key_result_id": kr,
                    "terms": {
                        "title": kr,
                        "weight": 1,
                        "metric": {"kind": "numeric", "baseline": 0, "target": 100},
                    },
                },
            )
            for kr in EXISTING_KRS
        ),
        (
            "create_smart_goal",
            ("smart_goal", EXISTING_SMART_GOAL),
            {
                "goal_id": EXISTING_SMART_GOAL,
                "owner": "ana",
                "cycle": Q4,
                "statement": "Publish three onboarding guides for trial users",
                "metric": {"kind": "numeric", "baseline": 0, "target": 3},
                "deadline": "2026-12-15",
                "serves": [
                    {
                        "kind": "key_result",
                        "objective_id": EXISTING_OBJECTIVE,
                        "key_result_id": EXISTING_KRS[0],
                    }
                ],
            },
        ),
    ]
    for name, aggregate, fields in commands:
        outcome = await send_until_settled(client, ledger, name, aggregate, fields, now)
        assert outcome.accepted, outcome


async def check_command(fz: Fuzzed, name: str, body: bytes, command_id: str) -> None:
    """One request: a typed answer in time, and the stream grows by what it says."""
    before = await fz.head()
    began = time.monotonic()
    reply = await fz.client.send_raw(name, body)  # parses the reply: it must be typed
    elapsed = time.monotonic() - began
    after = await fz.head()
    fz.tally(elapsed)
    f = fz.figures
    if isinstance(reply, Rejected):
        fz.refused(reply.error.code)
        assert reply.error.code not in NOT_A_JUDGEMENT, (name, body, reply)
        assert after == before, f"refused {name} left {after - before} events behind"
        return
    assert isinstance(reply, Accepted)
    f.commands_accepted += 1
    stored = await fz.new_event_ids(before)
    expected = [] if reply.duplicate else list(reply.event_ids)
    f.events_accepted += len(expected)
    f.events_stored += len(stored)
    assert stored == expected, f"accepted {name} stored {stored}, said {reply.event_ids}"
    if expected:
        causes = {
            e.envelope.causation_id
            for e in await fz.store.load_matching(fz.service.subjects.all_events(), before)
        }
        assert causes == {UUID(command_id)}


async def check_report(fz: Fuzzed, body: bytes) -> None:
    """One ingest message: an IngestReply in time, and one event per new accepted report."""
    before = await fz.head()
    began = time.monotonic()
    subject = fz.service.subjects.ingest(fz.tenant)
    msg = await fz.nc.request(subject, body, timeout=ANSWER_TIMEOUT_S)
    elapsed = time.monotonic() - began
    reply = IngestReply.model_validate_json(msg.data)
    after = await fz.head()
    fz.tally(elapsed)
    f = fz.figures
    if reply.error is not None:
        fz.refused(reply.error.code)
        assert reply.error.code not in NOT_A_JUDGEMENT, (body, reply)
        assert after == before, "a refused message left events behind"
        return
    for result in reply.results:
        if result.error is not None:
            fz.refused(result.error.code)
            assert result.error.code not in NOT_A_JUDGEMENT, (body, result)
    new = [r for r in reply.results if r.ok and not r.duplicate]
    f.commands_accepted += sum(r.ok for r in reply.results)
    stored = await fz.new_event_ids(before)
    f.events_accepted += len(new)
    f.events_stored += len(stored)
    assert sorted(map(str, stored)) == sorted(str(r.event_id) for r in new), (body, reply)


@settings(max_examples=FAST_EXAMPLES, **FUZZ_SETTINGS)
@given(request=command_requests())
async def test_fuzzed_commands_fast(
    fuzzed: Callable[[str, str], Fuzzed], request: tuple[str, bytes, str]
) -> None:
    await check_command(_once(fuzzed, "fuzz: every command", "fast"), *request)


@pytest.mark.slow
@settings(max_examples=SLOW_EXAMPLES, **FUZZ_SETTINGS)
@given(request=command_requests())
async def test_fuzzed_commands_slow(
    fuzzed: Callable[[str, str], Fuzzed], request: tuple[str, bytes, str]
) -> None:
    await check_command(_once(fuzzed, "fuzz: every command", "slow"), *request)


@settings(max_examples=FAST_EXAMPLES, **FUZZ_SETTINGS)
@given(body=ingest_bodies())
async def test_fuzzed_progress_reports_fast(
    fuzzed: Callable[[str, str], Fuzzed], body: bytes
) -> None:
    await check_report(_once(fuzzed, "fuzz: progress reports (ingest)", "fast"), body)


@pytest.mark.slow
@settings(max_examples=SLOW_EXAMPLES, **FUZZ_SETTINGS)
@given(body=ingest_bodies())
async def test_fuzzed_progress_reports_slow(
    fuzzed: Callable[[str, str], Fuzzed], body: bytes
) -> None:
    await check_report(_once(fuzzed, "fuzz: progress reports (ingest)", "slow"), body)


_MADE: dict[int, Fuzzed] = {}


def _once(make: Callable[[str, str], Fuzzed], scenario: str, profile: str) -> Fuzzed:
    """The test's Fuzzed, made on its first example (the fixture outlives the examples)."""
    key = id(make)
    if key not in _MADE:
        _MADE.clear()
        _MADE[key] = make(scenario, profile)
    return _MADE[key]
