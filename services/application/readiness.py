"""Is this instance ready to serve? Each check named, each answered within a bounded wait."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from nats.aio.client import Client

from projections.views import ProjectionLag
from services.adapters.stream import IncompatibleServer, StreamSettings, check_stream

NATS: Final = "nats"
STREAMS: Final = "streams"
POSTGRES: Final = "postgres"
PROJECTOR_LAG: Final = "projector_lag"
PARKED_TENANTS: Final = "parked_tenants"
CHECKS: Final = (NATS, STREAMS, POSTGRES, PROJECTOR_LAG, PARKED_TENANTS)
# A partition nobody owns while events wait for it fails readiness past this: long enough
# for a worker's restart or a rebalance tick to take it over.
UNOWNED_GRACE: Final = timedelta(seconds=30)


@dataclass(frozen=True)
class Check:
    """One readiness check: its name, whether it passed, and what it saw."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class ReadinessProbe:
    """What the checks look at: NATS and its streams, PostgreSQL, the projection's lag.

    ``ping`` answers once PostgreSQL runs a statement; ``lag`` reads the projection's
    checkpoint and parked tenants (it needs PostgreSQL too). Each waits at most
    ``timeout_s``.
    """

    nc: Client
    streams: Sequence[StreamSettings]
    ping: Callable[[], Awaitable[None]]
    lag: Callable[[], Awaitable[ProjectionLag]]
    max_lag: int
    timeout_s: float

    async def checks(self) -> list[Check]:
        """Every check, run at once; a check that fails or waits too long is not ok."""
        connected = self.nc.is_connected
        nats = Check(NATS, connected, "connected" if connected else "not connected")
        found = await asyncio.gather(
            self._bounded((STREAMS,), self._streams()),
            self._bounded((POSTGRES,), self._postgres()),
            self._bounded((PROJECTOR_LAG, PARKED_TENANTS), self._lag()),
        )
        return [nats, *(check for group in found for check in group)]

    async def _bounded(self, names: tuple[str, ...], check: Awaitable[list[Check]]) -> list[Check]:
        """The check's findings, or each of ``names`` failed, saying why."""
        try:
            async with asyncio.timeout(self.timeout_s):
                return await check
        except TimeoutError:
            failed = f"no answer within {self.timeout_s:g} s"
        except IncompatibleServer as exc:
            failed = str(exc)
        except Exception as exc:
            failed = f"{type(exc).__name__}: {exc}"
        return [Check(name, False, failed) for name in names]

    async def _streams(self) -> list[Check]:
        js = self.nc.jetstream()
        for wanted in self.streams:
            check_stream(await js.stream_info(wanted.name), wanted)
        names = ", ".join(s.name for s in self.streams)
        return [Check(STREAMS, True, f"{names} present and fit")]

    async def _postgres(self) -> list[Check]:
        await self.ping()
        return [Check(POSTGRES, True, "answering")]

    async def _lag(self) -> list[Check]:
        state = await self.lag()
        lagging = state.lag > self.max_lag
        since = datetime.now(UTC) - UNOWNED_GRACE
        orphans = [
            p.partition
            for p in state.partitions
            if p.owner is None and p.lag > 0 and p.updated_at < since
        ]
        seen = f"{state.lag} events behind the stream head (at most {self.max_lag})"
        if orphans:
            seen += f"; partitions {orphans} have waiting events and no projector owns them"
        return [
            Check(PROJECTOR_LAG, not lagging and not orphans, seen),
            Check(
                PARKED_TENANTS,
                state.parked_tenants == 0,
                f"{state.parked_tenants} tenants parked (okr projections status)",
            ),
        ]
