"""Sends the cadence and hygiene signals that have fallen due, by business time.

A scan reads the open goals from the read models, asks the pure rules which signals are
true at ``now``, and stores each one not yet on its subject. It is a catch-up by nature:
a process that was down sends, on its first scan, what fell due meanwhile, in order. Any
number of instances may scan at once: the signal stream stores each signal once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from events.signals import (
    SIGNALS_BY_TYPE,
    CadenceSignal,
    GoalHygieneFlagged,
    HygieneFlag,
    Signal,
)
from events.subjects import Subjects
from projections.cadence.facts import GoalFacts
from projections.cadence.hygiene import HygieneContext, findings, owner_goal_counts
from projections.cadence.schedule import Occasion, occasions
from projections.read_models.tenant_settings import TenantSettings
from services.adapters.signal_stream import LastSignal, SendOutcome
from services.domain.ids import signal_id

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
OpenGoals = Callable[[datetime], Awaitable[tuple[list[GoalFacts], dict[str, TenantSettings]]]]
MAX_RACES = 5  # re-reads after another instance stored first, per subject and scan


class SignalLog(Protocol):
    """Where signals are kept (the signal stream)."""

    subjects: Subjects

    async def last(self, subject: str) -> LastSignal:
        """The latest signal on a subject."""
        ...

    async def send(
        self, subject: str, signal_type: str, signal_id: str, body: bytes, expected: int
    ) -> SendOutcome:
        """Store one signal unless the subject moved past ``expected``."""
        ...


def _goal_fields(goal: GoalFacts, fires_at: datetime, now: datetime) -> dict[str, object]:
    return {
        "tenant_id": goal.tenant_id,
        "goal_type": goal.goal_type,
        "goal_id": goal.goal_id,
        "title": goal.title,
        "owner": goal.owner,
        "team": goal.team,
        "cycle_id": goal.cycle_id,
        "fires_at": fires_at,
        "emitted_at": now,
    }


def cadence_signal(goal: GoalFacts, occasion: Occasion, now: datetime) -> CadenceSignal:
    """The signal of one occasion, with its derived id."""
    kind = occasion.signal
    return kind(
        signal_id=signal_id(
            goal.tenant_id,
            goal.goal_type,
            goal.goal_id,
            kind.type_name(),
            occasion.due_at.isoformat(),
        ),
        due_at=occasion.due_at,
        cadence=goal.cadence,
        last_check_in_at=goal.last_check_in_at,
        missed=occasion.missed,
        **_goal_fields(goal, occasion.fires_at, now),
    )


def hygiene_signal(
    goal: GoalFacts, flags: tuple[HygieneFlag, ...], new: tuple[str, ...], after: int, now: datetime
) -> GoalHygieneFlagged:
    """The hygiene signal of a goal's findings, following the signal at sequence ``after``."""
    codes = ",".join(sorted({f.code for f in flags}))
    return GoalHygieneFlagged(
        signal_id=signal_id(
            goal.tenant_id,
            goal.goal_type,
            goal.goal_id,
            GoalHygieneFlagged.type_name(),
            f"{codes}@{after}",
        ),
        flags=flags,
        new_codes=new,
        **_goal_fields(goal, now, now),
    )


class CadenceScanner:
    """Scans at business times and stores what fell due; holds no state between scans."""

    def __init__(self, open_goals: OpenGoals, signals: SignalLog) -> None:
        self._open_goals = open_goals
        self._signals = signals

    @property
    def signals(self) -> SignalLog:
        """Where this scanner stores signals (and a reader finds the latest of a subject)."""
        return self._signals

    async def scan(self, now: datetime) -> list[Signal]:
        """Store every signal true at ``now`` and not yet stored; returns those this call
        stored (another instance may have stored the rest)."""
        goals, settings = await self._open_goals(now)
        counts = owner_goal_counts(goals)
        stored: list[Signal] = []
        for goal in goals:
            by_type: dict[str, list[Occasion]] = {}
            for occasion in occasions(goal, now):
                by_type.setdefault(occasion.signal.type_name(), []).append(occasion)
            for signal_type, due in by_type.items():
                stored += await self._send_cadence(goal, signal_type, due, now)
            limit = settings.get(goal.tenant_id, TenantSettings()).max_goals_per_owner
            count = counts.get((goal.tenant_id, goal.cycle_id, goal.owner), 0)
            flags = findings(goal, HygieneContext(now, count, limit))
            if flags:
                stored += await self._send_hygiene(goal, flags, now)
        return stored

    def _subject(self, goal: GoalFacts, signal_type: str) -> str:
        return self._signals.subjects.signal(
            goal.tenant_id, goal.goal_type, goal.goal_id, signal_type
        )

    async def _send_cadence(
        self, goal: GoalFacts, signal_type: str, due: list[Occasion], now: datetime
    ) -> list[Signal]:
        subject = self._subject(goal, signal_type)
        stored: list[Signal] = []
        last = await self._signals.last(subject)
        races = 0
        pending = list(due)
        while pending:
            sent = _decode(last)
            if isinstance(sent, CadenceSignal):
                # Signals of one subject are stored in due order: what is at or before the
                # latest one's due date was sent (by this instance or another).
                pending = [o for o in pending if o.due_at > sent.due_at]
                if not pending:
                    break
            signal = cadence_signal(goal, pending[0], now)
            outcome = await self._send(subject, signal, last.sequence)
            if outcome is SendOutcome.STORED:
                stored.append(signal)
            elif outcome is SendOutcome.LOST_RACE:
                races += 1
                if races > MAX_RACES:
                    break
            if outcome is not SendOutcome.LOST_RACE:
                pending.pop(0)
            last = await self._signals.last(subject)
        return stored

    async def _send_hygiene(
        self, goal: GoalFacts, flags: tuple[HygieneFlag, ...], now: datetime
    ) -> list[Signal]:
        subject = self._subject(goal, GoalHygieneFlagged.type_name())
        for _ in range(MAX_RACES):
            last = await self._signals.last(subject)
            sent = _decode(last)
            before = {f.code for f in sent.flags} if isinstance(sent, GoalHygieneFlagged) else set()
            new = tuple(sorted({f.code for f in flags} - before))
            if not new:
                return []
            signal = hygiene_signal(goal, flags, new, last.sequence, now)
            outcome = await self._send(subject, signal, last.sequence)
            if outcome is SendOutcome.STORED:
                return [signal]
            if outcome is SendOutcome.DUPLICATE:
                return []
        return []

    async def _send(self, subject: str, signal: Signal, expected: int) -> SendOutcome:
        return await self._signals.send(
            subject,
            signal.signal_type,
            str(signal.signal_id),
            signal.model_dump_json().encode(),
            expected,
        )

    async def run(self, clock: Clock, interval_s: float, stop: asyncio.Event) -> None:
        """Scan at ``clock()`` every ``interval_s`` until ``stop`` is set; a failed scan is
        logged and the next one catches up."""
        while not stop.is_set():
            try:
                await self.scan(clock())
            except Exception:  # a lost connection or a read-side hiccup: retried next round
                log.exception("cadence scan failed; the next scan catches up")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)


def _decode(last: LastSignal) -> Signal | None:
    """The latest signal on a subject, or None when there is none (or it is unreadable)."""
    if last.body is None:
        return None
    try:
        raw = json.loads(last.body)
        return SIGNALS_BY_TYPE[raw["signal_type"]].model_validate(raw)
    except (ValueError, KeyError, TypeError):
        return None
