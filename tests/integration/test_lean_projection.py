"""One varied stream projected twice, every event decoded in full and with check-ins and
reports read lean: every table of the two schemas holds the same rows."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import timedelta

import asyncpg
import pytest

from benchmarks.workload import START, Organisation
from events.data_subjects import DataSubjectErased
from events.envelope import Envelope, EventPayload, RawEvent
from events.goals import CheckInRecorded, GoalClosed, ProgressReported
from events.objectives import KeyResultAdjusted, KeyResultTerms
from events.personal import Sealing, SubjectKey
from events.registry import REGISTRY
from events.scoring_policy import ScoringPolicy, ScoringPolicySet
from events.sealed_field import new_key, new_kid
from events.subjects import Subjects
from events.values import AggregateType, Metric, MetricKind
from projections.observation import Observation
from projections.poison import Read, read_events
from projections.read_models import adjustments, progress, scoring_policies
from projections.tables import ALIGNMENTS, GOALS, KEY_RESULTS, PARKED
from projections.writer import ProjectionWriter

pytestmark = pytest.mark.integration
TENANT = "lean"
SUBJECTS = Subjects("okr")
# Written by the database, not by the events: they differ between any two projections.
CLOCK_COLUMNS = {"updated_at", "parked_at", "applied_at"}
METRIC = Metric(kind=MetricKind.NUMERIC, baseline=0.0, target=60.0)


class Ring:
    """The data subjects' keys of the stream, a KeyRing that needs no prefetch."""

    def __init__(self) -> None:
        self.keys: dict[str, bytes] = {}
        self.by_subject: dict[str, str] = {}

    def sealing(self, subject: str) -> Sealing:
        """How the write side seals a field of ``subject``'s."""
        kid = self.by_subject.setdefault(subject, new_kid())
        key = self.keys.setdefault(kid, new_key())
        return Sealing(SubjectKey(TENANT, subject, kid, key), individual=True)

    def key(self, tenant_id: str, kid: str) -> bytes | None:
        """A key of this tenant's, None once destroyed."""
        return self.keys.get(kid) if tenant_id == TENANT else None

    async def prefetch(self, kids: Iterable[str]) -> None:
        """Everything is in memory already."""

    def destroy(self, subject: str) -> None:
        """Crypto-shred ``subject``: what was sealed under its key reads as erased."""
        self.keys.pop(self.by_subject[subject], None)


def _envelope(like: Envelope, payload: EventPayload, version: int, **header: object) -> Envelope:
    fields = {**like.__dict__, "event_id": uuid.uuid4(), "aggregate_version": version}
    fields.update(event_type=payload.event_type, schema_version=payload.schema_version)
    return Envelope(**{**fields, **header, "payload": payload})


def _odd_ones(last: Envelope, ring: Ring) -> Iterator[bytes]:
    """Bodies the workload does not make: a policy, old versions, erasure, a poison."""
    at = last.occurred_at + timedelta(hours=1)
    version = last.aggregate_version
    policy = ScoringPolicy(cap_key_result_at_one=False)
    changed = ScoringPolicySet(
        effective_at=at, policy=policy, previous=ScoringPolicy(), changed=("cap_key_result_at_one",)
    )
    yield REGISTRY.encode(
        _envelope(
            last, changed, 1, aggregate_type=AggregateType.TENANT_SETTING,
            aggregate_id="scoring_policy",
        )
    )  # fmt: skip
    check_in = CheckInRecorded(key_result_id="kr0", value=1.0, confidence=0.5, applies_at=at)
    old = json.loads(REGISTRY.encode(_envelope(last, check_in, version + 1)))
    old["schema_version"] = 1
    del old["payload"]["applies_at"]  # v1 had none: the upcaster takes occurred_at
    yield json.dumps(old).encode()
    v2 = json.loads(REGISTRY.encode(_envelope(last, check_in, version + 2)))
    v2["schema_version"] = 2  # plaintext note, read as it is
    v2["payload"]["note"] = "written before sealing"
    yield json.dumps(v2).encode()
    late = ProgressReported(
        key_result_id="kr0", source="jira", idempotency_key="late", value=0.5,
        observed_at=START,
    )  # fmt: skip
    yield REGISTRY.encode(_envelope(last, late, version + 3), ring.sealing(last.actor))
    terms = KeyResultTerms(title="Ship", metric=METRIC, weight=1.0)
    raised = terms.model_copy(update={"metric": METRIC.model_copy(update={"target": 90.0})})
    adjusted = KeyResultAdjusted(
        key_result_id="kr0", before=terms, after=raised, changed_fields=("metric.target",),
        mid_cycle=True, reason="re-planned",
    )  # fmt: skip
    yield REGISTRY.encode(_envelope(last, adjusted, version + 4), ring.sealing("bench"))
    erased = DataSubjectErased(subject_id="person-1", reason="request 7")
    yield REGISTRY.encode(
        _envelope(last, erased, 1, aggregate_type=AggregateType.DATA_SUBJECT, aggregate_id="p1"),
        ring.sealing("bench"),
    )
    closed = GoalClosed(grade=0.5, note="done")
    yield REGISTRY.encode(_envelope(last, closed, version + 5), ring.sealing("bench"))
    ghost = CheckInRecorded(key_result_id="ghost", value=1.0, confidence=0.5, applies_at=at)
    yield REGISTRY.encode(_envelope(last, ghost, version + 6))  # parks its tenant: apply fails


def stream(ring: Ring) -> list[RawEvent]:
    """A small organisation's weeks (sealed as the service seals), then the odd ones."""
    envelopes = list(Organisation(TENANT, goals=80, teams=2, people=6).quarter(4))
    bodies = [REGISTRY.encode(e, ring.sealing(e.actor if i % 3 else "person-1"))
              for i, e in enumerate(envelopes)]  # fmt: skip
    objective = next(e for e in reversed(envelopes) if e.aggregate_type is AggregateType.OBJECTIVE)
    bodies.extend(_odd_ones(objective, ring))
    raws = []
    for sequence, body in enumerate(bodies, start=1):
        e = json.loads(body)
        subject = SUBJECTS.event(e["tenant_id"], e["aggregate_type"], e["aggregate_id"],
                                 e["event_type"])  # fmt: skip
        raws.append(RawEvent(sequence, subject, body, None))
    return raws


async def project(
    conn: asyncpg.Connection, schema: str, raws: list[RawEvent], ring: Ring, lean: bool
) -> list[Read]:
    """Write ``raws`` into ``schema`` in batches; returns how they were read."""
    writer = ProjectionWriter(conn, schema, "read_models", ScoringPolicy(), keys=ring)
    await writer.open()
    reads: list[Read] = []
    for start in range(0, len(raws), 300):
        batch = await read_events(raws[start : start + 300], ring, lean=lean)
        await writer.write(batch)
        reads.extend(batch)
    return reads


async def tables(conn: asyncpg.Connection, schema: str) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows, in a stable order, without the columns the database clocks."""
    names = await conn.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema
    )
    found = {}
    for name in sorted(r["table_name"] for r in names):
        rows = await conn.fetch(f'SELECT * FROM "{schema}"."{name}"')
        found[name] = sorted(
            (tuple((k, repr(v)) for k, v in r.items() if k not in CLOCK_COLUMNS) for r in rows),
        )
    return found


@pytest.fixture
async def conn(database_url: str, pg_schema: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    yield connection
    await connection.close()


async def test_lean_and_full_reads_project_the_same_rows_into_every_table(
    conn: asyncpg.Connection, pg_schema: str
) -> None:
    ring = Ring()
    raws = stream(ring)
    ring.destroy("person-1")  # erased before the projection reads: both read [erased]
    full = await project(conn, f"{pg_schema}_full", raws, ring, lean=False)
    lean = await project(conn, f"{pg_schema}_lean", raws, ring, lean=True)
    observed = sum(isinstance(r, Observation) for r in lean)
    assert not any(isinstance(r, Observation) for r in full)
    assert observed > len(raws) / 2  # most were read lean, not left to the full decode
    got_full = await tables(conn, f"{pg_schema}_full")
    got_lean = await tables(conn, f"{pg_schema}_lean")
    assert got_full.keys() == got_lean.keys()
    for name, rows in got_full.items():
        assert got_lean[name] == rows, name
    # The stream reached every read model the fold feeds, the poison parked its tenant.
    fed = (GOALS, KEY_RESULTS, ALIGNMENTS, PARKED, progress.TABLE, adjustments.TABLE)
    for name in (*fed, scoring_policies.TABLE):
        assert got_full[name], name
    assert any("[erased]" in str(row) for row in got_full["progress_entries"])
