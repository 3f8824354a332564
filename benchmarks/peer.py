"""The peer: the same append and projection workload on the Python ``eventsourcing``
library (its PostgreSQL recorders, on the same PostgreSQL), beside ours.

Append: every event of the workload saved as its own write with its aggregate's version
check, ``in_flight`` writers at a time (ours: asyncio tasks on ``EventStore.append``; the
peer: threads on ``Application.save``, its documented way). Projection: a catch-up over
everything appended, into read tables of goals, key results with their scores, progress
history, alignments and adjustments, each event's rows and its tracking position
committed together (ours: ``Projector``; the peer: ``eventsourcing.projection``'s
``ProjectionRunner`` over a ``PostgresTrackingRecorder`` view, as its docs show).
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import asyncpg
from eventsourcing.application import Application
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection, ProjectionRunner
from nats.aio.client import Client
from psycopg.sql import SQL, Identifier

from benchmarks.common import Row, new_stream, timed
from events.envelope import Envelope
from events.goals import CheckInRecorded, GoalAligned, ProgressReported
from events.objectives import (
    KeyResultAdded,
    KeyResultAdjusted,
    ObjectiveActivated,
    ObjectiveCreated,
)
from events.scoring_policy import ScoringPolicy
from events.smart_goals import SmartGoalCreated
from projections.runner import Projector
from services.adapters.event_store import EventStore

Step = tuple[str, dict[str, Any]]  # an aggregate method and its arguments


class PeerGoal(Aggregate):
    """An objective or SMART goal as an ``eventsourcing`` aggregate."""

    class Created(Aggregate.Created):
        goal_type: str
        goal_id: str
        title: str
        level: str
        owner: str
        cycle_id: str

    class KeyResultAdded(Aggregate.Event):
        key_result_id: str
        title: str
        target: float
        weight: float

    class Aligned(Aggregate.Event):
        objective_id: str
        key_result_id: str

    class Activated(Aggregate.Event):
        pass

    class KeyResultAdjusted(Aggregate.Event):
        key_result_id: str
        target: float
        reason: str

    class CheckInRecorded(Aggregate.Event):
        key_result_id: str
        value: float
        confidence: float
        applies_at: datetime

    class ProgressReported(Aggregate.Event):
        key_result_id: str
        value: float
        source: str
        key: str
        observed_at: datetime

    @event(Created)
    def __init__(
        self, goal_type: str, goal_id: str, title: str, level: str, owner: str, cycle_id: str
    ) -> None:
        self.goal_id = goal_id

    @event(KeyResultAdded)
    def add_key_result(self, key_result_id: str, title: str, target: float, weight: float) -> None:
        """Add a key result (a SMART goal's own metric is its key result '')."""

    @event(Aligned)
    def align(self, objective_id: str, key_result_id: str) -> None:
        """Align under a parent objective's key result."""

    @event(Activated)
    def activate(self) -> None:
        """Activate the objective."""

    @event(KeyResultAdjusted)
    def adjust(self, key_result_id: str, target: float, reason: str) -> None:
        """Change a key result's target."""

    @event(CheckInRecorded)
    def check_in(
        self, key_result_id: str, value: float, confidence: float, applies_at: datetime
    ) -> None:
        """Record a person's check-in."""

    @event(ProgressReported)
    def report(
        self, key_result_id: str, value: float, source: str, key: str, observed_at: datetime
    ) -> None:
        """Record an integration's report."""


class PeerApp(Application[uuid.UUID]):
    """The peer's write side."""


def steps_of(envelope: Envelope) -> list[Step]:
    """The peer's method calls for one of our events (same data, its own shape)."""
    p = envelope.payload
    match p:
        case ObjectiveCreated():
            return [
                (
                    "create",
                    dict(title=p.title, level=p.level.value, owner=p.owner, cycle_id=p.cycle.id),
                )
            ]
        case SmartGoalCreated():
            return [
                (
                    "create",
                    dict(
                        title=p.statement, level=p.level.value, owner=p.owner, cycle_id=p.cycle.id
                    ),
                ),
                (
                    "add_key_result",
                    dict(key_result_id="", title=p.statement, target=p.metric.target, weight=1.0),
                ),
            ]
        case KeyResultAdded():
            return [
                (
                    "add_key_result",
                    dict(
                        key_result_id=p.key_result_id,
                        title=p.terms.title,
                        target=p.terms.metric.target,
                        weight=p.terms.weight,
                    ),
                )
            ]
        case GoalAligned():
            parent_kr = p.parent.key_result_id or ""
            return [("align", dict(objective_id=p.parent.objective_id, key_result_id=parent_kr))]
        case ObjectiveActivated():
            return [("activate", {})]
        case KeyResultAdjusted():
            return [
                (
                    "adjust",
                    dict(
                        key_result_id=p.key_result_id,
                        target=p.after.metric.target,
                        reason=p.reason or "",
                    ),
                )
            ]
        case CheckInRecorded():
            return [
                (
                    "check_in",
                    dict(
                        key_result_id=p.key_result_id or "",
                        value=p.value,
                        confidence=p.confidence,
                        applies_at=p.applies_at,
                    ),
                )
            ]
        case ProgressReported():
            return [
                (
                    "report",
                    dict(
                        key_result_id=p.key_result_id or "",
                        value=p.value,
                        source=p.source,
                        key=p.idempotency_key,
                        observed_at=p.observed_at,
                    ),
                )
            ]
    return []


def _partition(envelopes: Sequence[Envelope], parts: int) -> list[list[Envelope]]:
    """Split by aggregate, so each writer owns its aggregates and keeps their order."""
    out: list[list[Envelope]] = [[] for _ in range(parts)]
    owner: dict[str, int] = {}
    for e in envelopes:
        out[owner.setdefault(e.aggregate_id, len(owner) % parts)].append(e)
    return out


def _env(database_url: str, schema: str, in_flight: int) -> dict[str, str]:
    """The peer's settings for our PostgreSQL (its DSN may name a unix-socket folder)."""
    url = urlparse(database_url)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": (url.path or "/postgres").lstrip("/") or "postgres",
        "POSTGRES_HOST": query.get("host") or url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or query.get("port") or 5432),
        "POSTGRES_USER": url.username or query.get("user") or "postgres",
        "POSTGRES_PASSWORD": url.password or "",
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_POOL_SIZE": str(in_flight),
        "CREATE_TABLE": "y",
    }


class PeerView(PostgresTrackingRecorder):
    """The peer's read tables, written with its tracking row in each transaction."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        s = Identifier(self.datastore.schema)
        for ddl in (
            "CREATE TABLE IF NOT EXISTS {0}.goals (goal_id text PRIMARY KEY, goal_type text,"
            " title text, level text, owner text, cycle_id text, status text, score float8)",
            "CREATE TABLE IF NOT EXISTS {0}.key_results (goal_id text, key_result_id text,"
            " title text, target float8, weight float8, value float8, score float8,"
            " PRIMARY KEY (goal_id, key_result_id))",
            "CREATE TABLE IF NOT EXISTS {0}.progress (goal_id text, key_result_id text,"
            " kind text, value float8, confidence float8, source text, key text,"
            " applies_at timestamptz)",
            "CREATE TABLE IF NOT EXISTS {0}.alignments (goal_id text, objective_id text,"
            " key_result_id text)",
            "CREATE TABLE IF NOT EXISTS {0}.adjustments (goal_id text, key_result_id text,"
            " target float8, reason text)",
        ):
            self.sql_create_statements.append(SQL(ddl).format(s))

    def write(self, tracking: Tracking, statements: Iterable[tuple[str, dict[str, Any]]]) -> None:
        """Run ``statements`` and record ``tracking``, in one transaction."""
        s = Identifier(self.datastore.schema)
        with self.datastore.transaction(commit=True) as curs:
            for sql, params in statements:
                curs.execute(SQL(sql).format(s), params, prepare=True)
            self._insert_tracking(curs, tracking)


_SCORE = (
    "UPDATE {0}.key_results SET value = %(value)s, score = LEAST(%(value)s / target, 1.0)"
    " WHERE goal_id = %(goal)s AND key_result_id = %(kr)s"
)
_ROLLUP = (
    "UPDATE {0}.goals SET score = (SELECT sum(score * weight) / sum(weight) FROM"
    " {0}.key_results WHERE goal_id = %(goal)s) WHERE goal_id = %(goal)s"
)
_PROGRESS = (
    "INSERT INTO {0}.progress VALUES (%(goal)s, %(kr)s, %(kind)s, %(value)s, %(confidence)s,"
    " %(source)s, %(key)s, %(at)s)"
)


class PeerProjection(Projection[PeerView]):
    """Goals, key results with scores, progress, alignments and adjustments."""

    name = "peer_scores"

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Events it does not project still move its position."""
        self.view.insert_tracking(tracking)

    @process_event.register(PeerGoal.Created)
    def _(self, e: Any, tracking: Tracking) -> None:
        self.view.write(
            tracking,
            [
                (
                    "INSERT INTO {0}.goals VALUES (%(goal)s, %(type)s, %(title)s, %(level)s,"
                    " %(owner)s, %(cycle)s, 'draft', NULL)",
                    dict(
                        goal=str(e.originator_id),
                        type=e.goal_type,
                        title=e.title,
                        level=e.level,
                        owner=e.owner,
                        cycle=e.cycle_id,
                    ),
                )
            ],
        )

    @process_event.register(PeerGoal.KeyResultAdded)
    def _(self, e: Any, tracking: Tracking) -> None:
        goal = str(e.originator_id)
        self.view.write(
            tracking,
            [
                (
                    "INSERT INTO {0}.key_results VALUES (%(goal)s, %(kr)s, %(title)s, %(target)s,"
                    " %(weight)s, NULL, 0)",
                    dict(
                        goal=goal,
                        kr=e.key_result_id,
                        title=e.title,
                        target=e.target,
                        weight=e.weight,
                    ),
                )
            ],
        )

    @process_event.register(PeerGoal.Aligned)
    def _(self, e: Any, tracking: Tracking) -> None:
        self.view.write(
            tracking,
            [
                (
                    "INSERT INTO {0}.alignments VALUES (%(goal)s, %(objective)s, %(kr)s)",
                    dict(goal=str(e.originator_id), objective=e.objective_id, kr=e.key_result_id),
                )
            ],
        )

    @process_event.register(PeerGoal.Activated)
    def _(self, e: Any, tracking: Tracking) -> None:
        self.view.write(
            tracking,
            [
                (
                    "UPDATE {0}.goals SET status = 'active' WHERE goal_id = %(goal)s",
                    dict(goal=str(e.originator_id)),
                )
            ],
        )

    @process_event.register(PeerGoal.KeyResultAdjusted)
    def _(self, e: Any, tracking: Tracking) -> None:
        goal = str(e.originator_id)
        self.view.write(
            tracking,
            [
                (
                    "INSERT INTO {0}.adjustments VALUES (%(goal)s, %(kr)s, %(target)s, %(reason)s)",
                    dict(goal=goal, kr=e.key_result_id, target=e.target, reason=e.reason),
                ),
                (
                    "UPDATE {0}.key_results SET target = %(target)s, score ="
                    " LEAST(coalesce(value, 0) / %(target)s, 1.0)"
                    " WHERE goal_id = %(goal)s AND key_result_id = %(kr)s",
                    dict(goal=goal, kr=e.key_result_id, target=e.target),
                ),
                (_ROLLUP, dict(goal=goal)),
            ],
        )

    @process_event.register(PeerGoal.CheckInRecorded)
    def _(self, e: Any, tracking: Tracking) -> None:
        self._observe(tracking, e, "check_in", e.confidence, None, None, e.applies_at)

    @process_event.register(PeerGoal.ProgressReported)
    def _(self, e: Any, tracking: Tracking) -> None:
        self._observe(tracking, e, "progress", None, e.source, e.key, e.observed_at)

    def _observe(
        self,
        tracking: Tracking,
        e: Any,
        kind: str,
        confidence: float | None,
        source: str | None,
        key: str | None,
        at: datetime,
    ) -> None:
        goal = str(e.originator_id)
        self.view.write(
            tracking,
            [
                (_SCORE, dict(goal=goal, kr=e.key_result_id, value=e.value)),
                (_ROLLUP, dict(goal=goal)),
                (
                    _PROGRESS,
                    dict(
                        goal=goal,
                        kr=e.key_result_id,
                        kind=kind,
                        value=e.value,
                        confidence=confidence,
                        source=source,
                        key=key,
                        at=at,
                    ),
                ),
            ],
        )


def _peer_append(app: PeerApp, parts: list[list[Envelope]]) -> float:
    """Save every event as its own write, one thread per part; returns seconds."""
    work = [[(e.aggregate_type.value, e.aggregate_id, steps_of(e)) for e in part] for part in parts]
    errors: list[BaseException] = []

    def writer(items: list[tuple[str, str, list[Step]]]) -> None:
        goals: dict[str, PeerGoal] = {}
        try:
            for goal_type, goal_id, steps in items:
                for method, kwargs in steps:
                    if method == "create":
                        goals[goal_id] = PeerGoal(goal_type=goal_type, goal_id=goal_id, **kwargs)
                    else:
                        getattr(goals[goal_id], method)(**kwargs)
                    app.save(goals[goal_id])
        except BaseException as exc:  # reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(items,)) for items in work]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    if errors:
        raise errors[0]
    return seconds


def _peer_project(env: dict[str, str], head: int) -> float:
    """Run the peer's projection from its start until it has tracked ``head``."""
    started = time.perf_counter()
    with ProjectionRunner(
        application_class=PeerApp, projection_class=PeerProjection, view_class=PeerView, env=env
    ) as runner:
        runner.wait(head, timeout=3600)
    return time.perf_counter() - started


def peer_side(database_url: str, envelopes: Sequence[Envelope], in_flight: int, schema: str) -> Row:
    """The peer's append and projection rates, in our events of the workload (it stores a
    SMART goal's creation as two events of its own). Blocking: run it in a thread."""
    env = _env(database_url, schema, in_flight)
    app = PeerApp(env=env)
    append_s = _peer_append(app, _partition(envelopes, in_flight))
    head = app.recorder.max_notification_id() or 0
    project_s = _peer_project(env, head)
    app.close()
    return {
        "peer_events": float(head),
        "peer_append": len(envelopes) / append_s,
        "peer_project": len(envelopes) / project_s,
    }


async def our_side(
    nc: Client, conn: asyncpg.Connection, envelopes: Sequence[Envelope], in_flight: int
) -> Row:
    """Our append (EventStore.append, one event a write) and projector catch-up rates."""
    subjects, stream = await new_stream(nc)
    store = EventStore(nc, stream, subjects)
    parts = _partition(envelopes, in_flight)

    async def writer(part: list[Envelope]) -> None:
        last: dict[str, tuple[int, str]] = {}
        for e in part:
            sequence, prev_hash = last.get(e.aggregate_id, (0, ""))
            result = await store.append([e], sequence, prev_hash)
            last[e.aggregate_id] = (result.last_sequence, result.stored[-1].hash or "")

    append_s = await timed(lambda: asyncio.gather(*(writer(p) for p in parts)))
    schema = f"bench_peer_ours_{subjects.root}"
    projector = Projector(nc, conn, stream, schema, ScoringPolicy())
    try:
        project_s = await timed(lambda: projector.catch_up(timeout_s=3600))
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await nc.jetstream().delete_stream(stream)
    return {"ours_append": len(envelopes) / append_s, "ours_project": len(envelopes) / project_s}


async def compare(
    nc: Client,
    database_url: str,
    workload: Callable[[], Iterable[Envelope]],
    in_flight: int,
) -> Row:
    """Both sides on the same workload, one after the other on the same servers."""
    envelopes = list(workload())
    conn = await asyncpg.connect(database_url)
    schema = f"bench_peer_{uuid.uuid4().hex[:10]}"
    try:
        row = await our_side(nc, conn, envelopes, in_flight)
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        row |= await asyncio.to_thread(peer_side, database_url, envelopes, in_flight, schema)
        row["events"] = float(len(envelopes))
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()
    return row
