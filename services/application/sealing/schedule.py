"""Seals on a schedule, and once each cycle whose goals are all closed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from services.application.sealing.sealer import CYCLE_CLOSED, SCHEDULE
from services.application.sealing.service import Sealing

ClosedCycles = Callable[[], Awaitable[list[tuple[str, str]]]]
log = logging.getLogger(__name__)


class SealSchedule:
    """Every ``interval_s`` seals each tenant whose log grew; every ``poll_s`` looks for
    cycles newly closed. A failure is logged and retried at the next poll: it never stops
    the service."""

    def __init__(
        self, sealing: Sealing, closed_cycles: ClosedCycles, interval_s: float, poll_s: float
    ) -> None:
        self._sealing = sealing
        self._closed_cycles = closed_cycles
        self._interval_s = interval_s
        self._poll_s = poll_s
        self._next_round = time.monotonic() + interval_s
        self._sealed_cycles: set[tuple[str, str]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop`` is set."""
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:  # the next poll tries again; the service keeps serving
                log.exception("sealing failed; retrying in %s s", self._poll_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._poll_s)

    async def tick(self) -> None:
        """Make the seals that are due now."""
        if self._interval_s > 0 and time.monotonic() >= self._next_round:
            self._next_round = time.monotonic() + self._interval_s
            for tenant in await self._sealing.tenants():
                await self._sealing.seal(tenant, SCHEDULE, only_if_grown=True)
        for tenant, cycle in await self._closed_cycles():
            if (tenant, cycle) in self._sealed_cycles:
                continue
            trigger = f"{CYCLE_CLOSED}{cycle}"
            if not any(s.trigger == trigger for s in await self._sealing.seals(tenant)):
                await self._sealing.seal(tenant, trigger)
                log.info("sealed tenant %s: cycle %s is closed", tenant, cycle)
            self._sealed_cycles.add((tenant, cycle))
