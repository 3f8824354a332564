"""Partitions: a tenant's is stable and tenants spread; each worker's fair share."""

from __future__ import annotations

from collections import Counter

import pytest

from projections.partitions import Share, fair_share, partition_of, plan
from services.settings import Settings


def test_a_tenants_partition_is_the_same_in_every_process_and_version() -> None:
    # crc32 of the id, pinned: what every worker, on any machine, any hash seed, computes.
    assert [partition_of(t, 16) for t in ("acme", "globex", "t-0")] == [14, 10, 13]
    assert [partition_of(t, 7) for t in ("acme", "globex", "t-0")] == [6, 2, 5]


def test_many_tenants_spread_over_every_partition_roughly_evenly() -> None:
    counts = Counter(partition_of(f"tenant-{i}", 16) for i in range(6400))
    assert sorted(counts) == list(range(16))
    assert 0.75 * 400 < min(counts.values()) <= max(counts.values()) < 1.25 * 400


@pytest.mark.parametrize(
    ("count", "members", "share"), [(16, 1, 16), (16, 2, 8), (16, 3, 6), (4, 8, 1), (16, 0, 16)]
)
def test_the_fair_share_is_the_partitions_over_the_live_workers_rounded_up(
    count: int, members: int, share: int
) -> None:
    assert fair_share(count, members) == share


def test_a_lone_worker_takes_every_free_partition() -> None:
    assert plan(set(), set(), 4, 1).take == (0, 1, 2, 3)


def test_a_worker_above_its_share_gives_back_its_highest_partitions_and_takes_none() -> None:
    decided = plan(set(range(16)), set(), 16, 2)
    assert decided.release == frozenset(range(8, 16))
    assert decided.take == ()


def test_a_joining_worker_takes_only_free_partitions_up_to_its_share() -> None:
    assert plan(set(), set(range(16)), 16, 2).take == ()  # waits for the other to give back
    assert plan(set(), set(range(8)), 16, 2).take == tuple(range(8, 16))
    assert plan({8}, set(range(8)), 16, 3).take == (9, 10, 11, 12, 13)


def test_two_workers_ticking_in_turn_converge_to_an_even_exclusive_split() -> None:
    owned: list[set[int]] = [set(range(16)), set()]
    for tick in range(6):
        me = owned[tick % 2]
        other = owned[(tick + 1) % 2]
        decided = plan(me, other, 16, 2)
        me -= decided.release
        me |= set(decided.take)
        assert not me & other
    assert sorted(map(len, owned)) == [8, 8]
    assert owned[0] | owned[1] == set(range(16))


def test_a_survivor_takes_over_every_partition_of_a_dead_worker() -> None:
    assert plan(set(range(8)), set(), 16, 1).take == tuple(range(8, 16))


def test_a_share_applies_only_its_partitions_events_past_their_checkpoints() -> None:
    share = Share(16)
    mine = partition_of("acme", 16)
    share.checkpoints = {mine: 10}
    share.position = 10
    theirs = next(t for t in (f"t{i}" for i in range(100)) if partition_of(t, 16) != mine)
    assert not share.wants("acme", 10)
    assert share.wants("acme", 11)
    assert not share.wants(theirs, 11)
    share.advance(20)
    assert (share.position, share.checkpoints, share.slowest) == (20, {mine: 20}, 20)


def test_a_share_owning_nothing_reports_its_position() -> None:
    share = Share(4)
    share.advance(7)
    assert share.slowest == 7
    assert share.checkpoint_of("acme") is None


def test_the_projector_settings_default_to_one_in_process_worker_and_sixteen_partitions() -> None:
    assert (Settings.from_env({}).projectors, Settings.from_env({}).projection_partitions) == (
        1,
        16,
    )
    env = {"OKR_PROJECTORS": "0", "OKR_PROJECTION_PARTITIONS": "64"}
    assert (Settings.from_env(env).projectors, Settings.from_env(env).projection_partitions) == (
        0,
        64,
    )


@pytest.mark.parametrize("env", [{"OKR_PROJECTORS": "-1"}, {"OKR_PROJECTION_PARTITIONS": "0"}])
def test_a_negative_worker_count_or_no_partitions_is_refused(env: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="must be a whole number of at least"):
        Settings.from_env(env)
