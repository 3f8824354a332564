"""Readiness reads the slowest partition, and fails on a partition nobody owns while
events wait for it (after a grace for a restart or a rebalance)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from nats.aio.client import Client

from projections.views import PartitionLag, ProjectionLag
from services.application.readiness import PROJECTOR_LAG, UNOWNED_GRACE, ReadinessProbe


def lag_of(*partitions: PartitionLag) -> ProjectionLag:
    slowest = min(p.checkpoint for p in partitions)
    return ProjectionLag(
        projection="read_models",
        checkpoint=slowest,
        stream_head=100,
        lag=100 - slowest,
        partitions=partitions,
    )


def partition(number: int, owner: str | None, checkpoint: int, age: timedelta) -> PartitionLag:
    return PartitionLag(
        partition=number,
        owner=owner,
        checkpoint=checkpoint,
        lag=100 - checkpoint,
        updated_at=datetime.now(UTC) - age,
    )


async def projector_check(state: ProjectionLag) -> tuple[bool, str]:
    async def ping() -> None:
        return None

    async def lag() -> ProjectionLag:
        return state

    probe = ReadinessProbe(Client(), [], ping, lag, max_lag=50, timeout_s=1.0)
    [found] = [c for c in await probe.checks() if c.name == PROJECTOR_LAG]
    return found.ok, found.detail


LONG_AGO = UNOWNED_GRACE + timedelta(seconds=5)
NOW = timedelta()
A = ("a", 100, LONG_AGO)  # partition 0: owned, at the head


@pytest.mark.parametrize(
    ("second", "ok"),
    [
        (("b", 90, LONG_AGO), True),
        (("b", 40, LONG_AGO), False),
        ((None, 90, LONG_AGO), False),
        ((None, 90, NOW), True),
        ((None, 100, LONG_AGO), True),
    ],
    ids=["owned-close", "slowest-too-far", "orphan-waiting", "orphan-in-grace", "orphan-idle"],
)
async def test_the_projector_check_reads_each_partition(
    second: tuple[str | None, int, timedelta], ok: bool
) -> None:
    # Built when the test runs: the grace is measured from now.
    state = lag_of(partition(0, *A), partition(1, *second))
    passed, detail = await projector_check(state)
    assert passed is ok, detail
    assert ("no projector owns them" in detail) is (not ok and state.lag <= 50)
