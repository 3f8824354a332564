"""Load profiles of the fault suite, and how its clients connect."""

from __future__ import annotations

from dataclasses import dataclass

import nats
import pytest
from nats.aio.client import Client


@dataclass(frozen=True)
class Profile:
    """How hard a scenario pushes: commands, concurrency, how many faults, how long."""

    name: str
    commands: int
    workers: int
    faults: int
    outage_s: float  # how long a server stays down; also the up time before the next fault
    rate: float  # commands per second the workers aim at (so the faults land under load)
    # A stream leader's loss costs seconds of election (measured: ~6 s on nats-server
    # 2.15), so the CI profile kills one leader and the long one several.
    leader_kills: int

    @property
    def pause_s(self) -> float:
        """The pause between one worker's commands that gives ``rate`` over all workers."""
        return self.workers / self.rate


FAST = Profile("fast", commands=240, workers=8, faults=2, outage_s=1.0, rate=75.0, leader_kills=1)
SLOW = Profile("slow", commands=3000, workers=16, faults=6, outage_s=4.0, rate=50.0, leader_kills=3)
PROFILES = [
    pytest.param(FAST, id="fast"),
    pytest.param(SLOW, id="slow", marks=pytest.mark.slow),
]


async def connect(url: str | list[str]) -> Client:
    """A client connection that keeps reconnecting quickly, as a resilient caller's would."""
    return await nats.connect(
        url, max_reconnect_attempts=-1, reconnect_time_wait=0.1, connect_timeout=2
    )
