"""The command handler's use cases, on an in-memory log: retries, cache, idempotency."""

from __future__ import annotations

from uuid import uuid4

import pytest

from events.goals import GoalAligned
from events.objectives import ObjectiveCreated
from services.domain.errors import ErrorCode, RuleViolation
from tests.unit.factories import add_kr, align, check_in, create_objective, meta, objective_parent
from tests.unit.use_cases.conftest import Service
from tests.unit.use_cases.memory_store import Race


async def objective_raced_by_a_check_in(service: Service) -> Race:
    """An objective with a key result, and another instance's check-in on it."""
    await service.handler.execute(create_objective())
    await service.handler.execute(add_kr())
    rival = service.restarted()

    async def rival_checks_in() -> None:
        await rival.handler.execute(check_in(40))

    return rival_checks_in


async def test_a_lost_race_is_decided_again_and_both_are_stored(service: Service) -> None:
    rival_checks_in = await objective_raced_by_a_check_in(service)
    service.store.race(rival_checks_in)
    accepted = await service.handler.execute(check_in(41))

    assert accepted.version == 4  # after the rival's check-in, which won the race
    assert [e.aggregate_version for e in service.store.events()] == [1, 2, 3, 4]
    assert service.store.appends == 5  # ours was refused once, then stored


async def test_a_race_lost_more_often_than_the_retries_allow_is_a_conflict(
    service: Service,
) -> None:
    rival_checks_in = await objective_raced_by_a_check_in(service)
    for _ in range(6):  # the default five retries, and the first attempt
        service.store.race(rival_checks_in)
    with pytest.raises(RuleViolation) as refused:
        await service.handler.execute(check_in(41))

    assert refused.value.code is ErrorCode.CONCURRENCY_CONFLICT


async def test_a_pinned_version_takes_the_race_as_its_answer(service: Service) -> None:
    rival_checks_in = await objective_raced_by_a_check_in(service)
    service.store.race(rival_checks_in)
    with pytest.raises(RuleViolation) as refused:
        await service.handler.execute(check_in(41, meta=meta(expected_version=2)))

    assert refused.value.code is ErrorCode.CONCURRENCY_CONFLICT
    assert service.store.appends == 4  # no retry


async def test_a_refusal_on_cached_state_is_decided_again_on_the_streams(
    service: Service,
) -> None:
    await service.handler.execute(create_objective())
    # Another instance adds the key result: this one's cache knows none.
    await service.restarted().handler.execute(add_kr())

    accepted = await service.handler.execute(check_in(42))

    assert accepted.version == 3
    assert service.store.appends == 3  # the stale refusal stored nothing


async def test_a_resent_command_is_answered_again_without_storing_anything(
    service: Service,
) -> None:
    await service.handler.execute(create_objective())
    await service.handler.execute(add_kr())
    command = check_in(42)
    first = await service.handler.execute(command, claim_id=True)

    again = await service.restarted().handler.execute(command)

    assert again.duplicate
    assert again.version == first.version == 3
    assert len(service.store.events()) == 3


async def test_a_resend_past_the_duplicate_window_is_still_recognised(service: Service) -> None:
    command = create_objective()
    created = await service.handler.execute(command)
    service.store.forget_ids()  # only the goal's history can tell now

    again = await service.restarted().handler.execute(command)

    assert again.duplicate
    assert again.version == created.version
    assert len(service.store.events()) == 1


async def test_a_command_id_reused_for_another_request_is_refused(service: Service) -> None:
    command_id = uuid4()
    await service.handler.execute(create_objective(meta=meta(command_id=command_id)), True)

    with pytest.raises(RuleViolation) as refused:
        await service.handler.execute(
            create_objective(objective_id="o2", meta=meta(command_id=command_id)), True
        )

    assert refused.value.code is ErrorCode.COMMAND_ID_REUSED
    assert [type(e.payload) for e in service.store.events()] == [ObjectiveCreated]


async def test_a_racing_alignment_that_closes_a_loop_is_refused(service: Service) -> None:
    for objective_id in ("a", "b"):
        await service.handler.execute(create_objective(objective_id=objective_id))
    rival = service.restarted()

    async def b_serves_a() -> None:
        await rival.handler.execute(align(objective_parent("a"), goal_id="b"))

    service.store.race(b_serves_a)
    with pytest.raises(RuleViolation) as refused:
        await service.handler.execute(align(objective_parent("b"), goal_id="a"))

    assert refused.value.code is ErrorCode.ALIGNMENT_CYCLE
    aligned = [e.aggregate_id for e in service.store.events() if isinstance(e.payload, GoalAligned)]
    assert aligned == ["b"]
