"""A synthetic organisation's quarter as ready-made envelopes (valid events, in order)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from events.envelope import Envelope, EventPayload
from events.goals import CheckInRecorded
from events.objectives import KeyResultAdded, KeyResultTerms, ObjectiveCreated
from events.values import AggregateType, Commitment, Cycle, Level, Metric, MetricKind

CYCLE = Cycle.quarter("2026-q4")
START = CYCLE.starts_at


def _envelope(
    tenant: str, goal: str, version: int, at: datetime, payload: EventPayload
) -> Envelope:
    return Envelope(
        event_id=uuid.uuid4(),
        event_type=payload.event_type,
        schema_version=payload.schema_version,
        tenant_id=tenant,
        aggregate_type=AggregateType.OBJECTIVE,
        aggregate_id=goal,
        aggregate_version=version,
        occurred_at=at,
        recorded_at=at,
        actor="bench",
        correlation_id=uuid.uuid4(),
        causation_id=None,
        payload=payload,
    )


def quarter(tenant: str, events: int, krs_per_objective: int = 4) -> Iterator[Envelope]:
    """About ``events`` events: objectives with KRs, then weekly check-ins, goal by goal."""
    metric = Metric(kind=MetricKind.NUMERIC, baseline=0, target=100)
    per_goal = 1 + krs_per_objective + 13 * krs_per_objective  # a quarter of weekly check-ins
    for g in range(max(1, events // per_goal)):
        goal = f"o{g}"
        yield _envelope(
            tenant,
            goal,
            1,
            START,
            ObjectiveCreated(
                title=f"Objective {g}",
                level=Level.TEAM,
                owner=f"team-{g % 20}",
                cycle=CYCLE,
                commitment=Commitment.COMMITTED,
            ),
        )
        version = 1
        for k in range(krs_per_objective):
            version += 1
            yield _envelope(
                tenant,
                goal,
                version,
                START,
                KeyResultAdded(
                    key_result_id=f"kr{k}",
                    terms=KeyResultTerms(title=f"KR {k}", metric=metric, weight=1.0),
                ),
            )
        for week in range(13):
            at = START + timedelta(days=7 * week, hours=1)
            for k in range(krs_per_objective):
                version += 1
                yield _envelope(
                    tenant,
                    goal,
                    version,
                    at,
                    CheckInRecorded(
                        key_result_id=f"kr{k}", value=7.5 * week, confidence=0.6, applies_at=at
                    ),
                )


def now() -> datetime:
    """Wall clock for the benchmark's own timing labels."""
    return datetime.now(UTC)
