"""The ingestor's use cases, on an in-memory log: batches in order, each report judged alone."""

from __future__ import annotations

import json
from typing import Any
from uuid import NAMESPACE_URL, uuid4, uuid5

from events.envelope import Envelope
from events.goals import ProgressReported
from events.values import AggregateType
from services.application.ingest.service import MIN_REPORTS_PER_BATCH
from services.domain.errors import ErrorCode
from tests.unit.factories import MID_Q4, add_kr, create_objective
from tests.unit.use_cases.conftest import Service

OBSERVED = "2026-11-01T08:00:00Z"


def report(key: str, value: float = 40, **extra: Any) -> dict[str, Any]:
    return {
        "goal_type": "objective",
        "goal_id": "o1",
        "key_result_id": "kr1",
        "source": "crm",
        "idempotency_key": key,
        "value": value,
        "observed_at": OBSERVED,
        **extra,
    }


async def objective_with_kr(service: Service) -> None:
    await service.handler.execute(create_objective())
    await service.handler.execute(add_kr())


async def test_a_batch_is_stored_in_order_and_each_report_answered(service: Service) -> None:
    await objective_with_kr(service)
    count = MIN_REPORTS_PER_BATCH + 2  # enough on the goal, less the bad one, for a batch
    reports = [report(f"deal-{i}", 30 + i) for i in range(count)]
    reports[3] = report("deal-1", 99)  # the same report again: counted once
    reports[5] = report("deal-5", key_result_id="nope")  # no such key result
    reports[7] = {"goal_type": "objective", "goal_id": "o1"}  # not a report at all
    reports.append(report("elsewhere", goal_id="o9"))  # an unknown goal
    body = json.dumps({"reports": reports}).encode()

    reply = await service.ingestor.ingest("acme", body, "okr.ingest.acme")

    outcomes = {r.index: r for r in reply.results}
    assert reply.batch
    assert (reply.accepted, reply.duplicates, reply.rejected) == (count - 3, 1, 3)
    assert outcomes[3].duplicate
    assert outcomes[3].ok
    assert outcomes[5].error is not None
    assert outcomes[5].error.code is ErrorCode.UNKNOWN_KEY_RESULT
    assert outcomes[7].error is not None
    assert outcomes[7].error.code is ErrorCode.INVALID_REPORT
    assert outcomes[count].error is not None
    assert outcomes[count].error.code is ErrorCode.UNKNOWN_GOAL
    stored = [e.payload for e in service.store.events()[2:]]
    assert [p.idempotency_key for p in stored if isinstance(p, ProgressReported)] == [
        f"deal-{i}" for i in range(count) if i not in (3, 5, 7)
    ]
    assert service.store.appends == 3  # the goal's reports in one atomic append
    assert sorted(letter[3] for letter in service.dead_letters.kept) == [5, 7, count]


async def test_a_report_resent_is_answered_as_a_duplicate(service: Service) -> None:
    await objective_with_kr(service)
    body = json.dumps(report("deal-1")).encode()
    first = await service.ingestor.ingest("acme", body, "okr.ingest.acme")
    service.store.forget_ids()

    again = await service.restarted().ingestor.ingest("acme", body, "okr.ingest.acme")

    assert (first.accepted, again.duplicates) == (1, 1)
    assert again.results[0].event_id is None
    assert len(service.store.events()) == 3


async def test_a_report_stored_before_an_upgrade_still_counts_once(service: Service) -> None:
    # Reports used to be stored under ids of another namespace, caused by whichever
    # command id carried them: only the goal's own history knows such a report.
    await objective_with_kr(service)
    [*_, last] = await service.store.load("acme", "objective", "o1")
    payload = ProgressReported(
        key_result_id="kr1", source="crm", idempotency_key="deal-1", value=35, observed_at=MID_Q4
    )
    old = Envelope(
        event_id=uuid5(uuid5(NAMESPACE_URL, "urn:okr-ledger:progress"), "acme/o1/crm/deal-1"),
        event_type=payload.event_type,
        schema_version=payload.schema_version,
        tenant_id="acme",
        aggregate_type=AggregateType.OBJECTIVE,
        aggregate_id="o1",
        aggregate_version=3,
        occurred_at=MID_Q4,
        recorded_at=MID_Q4,
        actor="integration:crm",
        correlation_id=uuid4(),
        causation_id=uuid4(),
        payload=payload,
    )
    await service.store.append([old], last.stream_sequence, last.hash or "")

    reply = await service.restarted().ingestor.ingest(
        "acme", json.dumps(report("deal-1", 50)).encode(), "okr.ingest.acme"
    )

    assert reply.duplicates == 1
    assert len(service.store.events()) == 3
