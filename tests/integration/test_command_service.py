"""The command service as a client drives it over NATS request/reply."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from nats.aio.client import Client

from events.values import Cycle
from services.application.codec import parse_command
from services.bootstrap import CommandService, command_service
from services.client import OkrClient
from services.domain.errors import ErrorCode
from services.domain.replies import Rejected
from services.settings import Settings

pytestmark = pytest.mark.integration
Q4 = Cycle.quarter("2026-q4").model_dump(mode="json")
IN_Q4 = {"now": "2026-11-02T09:00:00Z"}


@pytest.fixture
def client(nats_client: Client, service: CommandService, tenant: str) -> OkrClient:
    return OkrClient(nats_client, tenant, "tester", service.subjects)


async def create_objective(client: OkrClient, objective_id: str = "o1", **extra: Any) -> None:
    await client.execute(
        "create_objective",
        objective_id=objective_id,
        title="Grow revenue",
        level="company",
        owner="ceo",
        cycle=Q4,
        meta=IN_Q4,
        **extra,
    )
    await client.execute(
        "add_key_result",
        objective_id=objective_id,
        key_result_id="arr",
        meta=IN_Q4,
        terms={
            "title": "ARR",
            "weight": 1,
            "metric": {"kind": "currency", "baseline": 100, "target": 200},
        },
    )


async def stored(service: CommandService, tenant: str) -> list[str]:
    return [e.envelope.event_type for e in await service.store.load_tenant(tenant)]


async def test_commands_append_events_and_reply_with_versions(
    client: OkrClient, service: CommandService, tenant: str
) -> None:
    await create_objective(client)

    reply = await client.execute(
        "record_check_in",
        goal_type="objective",
        goal_id="o1",
        key_result_id="arr",
        value=150,
        confidence=0.7,
        meta=IN_Q4,
    )

    assert reply.version == 3
    assert reply.event_types == ("check_in.recorded",)
    assert await stored(service, tenant) == [
        "objective.created",
        "key_result.added",
        "check_in.recorded",
    ]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", ErrorCode.MALFORMED_REQUEST),
        (b"[1, 2]", ErrorCode.MALFORMED_REQUEST),
        (b'{"meta": "x"}', ErrorCode.MALFORMED_REQUEST),
        (
            b'{"meta": {"actor": "a"}, "goal_type": "objective", "goal_id": "o1"}',
            ErrorCode.INVALID_COMMAND,
        ),
        (
            b'{"meta": {"actor": "a"}, "goal_type": "objective", "goal_id": "O.1", "value": 1,'
            b' "confidence": 0.5}',
            ErrorCode.INVALID_COMMAND,
        ),
        (
            b'{"meta": {"actor": "a"}, "goal_type": "objective", "goal_id": "o1", "value": 1,'
            b' "confidence": 1.5}',
            ErrorCode.INVALID_COMMAND,
        ),
        (
            b'{"meta": {"actor": "a"}, "goal_type": "objective", "goal_id": "o1",'
            b' "value": NaN, "confidence": 0.5}',
            ErrorCode.INVALID_COMMAND,
        ),
        (
            b'{"meta": {"actor": "a"}, "goal_type": "objective", "goal_id": "ghost",'
            b' "key_result_id": "arr", "value": 1, "confidence": 0.5}',
            ErrorCode.UNKNOWN_GOAL,
        ),
    ],
)
async def test_bad_payloads_get_typed_errors_and_append_nothing(
    client: OkrClient, service: CommandService, tenant: str, body: bytes, code: ErrorCode
) -> None:
    reply = await client.send_raw("record_check_in", body)

    assert isinstance(reply, Rejected)
    assert reply.error.code == code
    assert not reply.error.retryable
    assert await stored(service, tenant) == []


async def test_unknown_command_name_is_answered(
    nats_client: Client, service: CommandService, tenant: str
) -> None:
    msg = await nats_client.request(
        service.subjects.command(tenant, "drop_tables"), b"{}", timeout=2
    )

    reply = Rejected.model_validate_json(msg.data)
    assert reply.error.code == ErrorCode.UNKNOWN_COMMAND
    assert not reply.error.retryable


async def test_rule_violation_is_typed_and_appends_nothing(
    client: OkrClient, service: CommandService, tenant: str
) -> None:
    await create_objective(client)
    before = await stored(service, tenant)

    reply = await client.send(
        "record_check_in",
        goal_type="objective",
        goal_id="o1",
        key_result_id="nope",
        value=1,
        confidence=0.5,
        meta=IN_Q4,
    )

    assert isinstance(reply, Rejected)
    assert reply.error.code == ErrorCode.UNKNOWN_KEY_RESULT
    assert await stored(service, tenant) == before


async def test_not_smart_goal_lists_each_failed_criterion(
    client: OkrClient, service: CommandService, tenant: str
) -> None:
    reply = await client.send(
        "create_smart_goal",
        goal_id="s1",
        statement="do better",
        owner="ana",
        cycle=Q4,
        meta=IN_Q4,
    )

    assert isinstance(reply, Rejected)
    assert reply.error.code == ErrorCode.NOT_SMART
    assert {v.criterion for v in reply.error.violations} == {
        "specific",
        "measurable",
        "relevant",
        "time_bound",
    }
    assert await stored(service, tenant) == []


async def test_same_command_id_twice_is_applied_once(
    client: OkrClient, service: CommandService, tenant: str
) -> None:
    await create_objective(client)
    meta = {**IN_Q4, "command_id": str(uuid.uuid4())}
    check_in = {
        "goal_type": "objective",
        "goal_id": "o1",
        "key_result_id": "arr",
        "value": 120,
        "confidence": 0.5,
        "meta": meta,
    }

    first = await client.execute("record_check_in", **check_in)
    second = await client.execute("record_check_in", **check_in)

    assert not first.duplicate
    assert second.duplicate
    assert second.version == first.version
    assert (await stored(service, tenant)).count("check_in.recorded") == 1


async def test_integration_report_counts_once_per_idempotency_key(
    client: OkrClient, service: CommandService, tenant: str
) -> None:
    await create_objective(client)
    report = {
        "goal_type": "objective",
        "goal_id": "o1",
        "key_result_id": "arr",
        "source": "jira",
        "idempotency_key": "JIRA-1",
        "value": 130,
        "observed_at": "2026-11-02T08:00:00Z",
        "meta": IN_Q4,
    }

    replies = await asyncio.gather(*[client.execute("report_progress", **report) for _ in range(3)])

    assert sum(not r.duplicate for r in replies) == 1
    assert (await stored(service, tenant)).count("progress.reported") == 1


async def test_concurrent_check_ins_all_land_through_retries(
    client: OkrClient, service: CommandService, tenant: str
) -> None:
    await create_objective(client)

    replies = await asyncio.gather(
        *[
            client.execute(
                "record_check_in",
                goal_type="objective",
                goal_id="o1",
                key_result_id="arr",
                value=100 + i,
                confidence=0.5,
                meta=IN_Q4,
            )
            for i in range(8)
        ]
    )

    assert sorted(r.version for r in replies) == list(range(3, 11))
    assert (await stored(service, tenant)).count("check_in.recorded") == 8


async def test_expected_version_mismatch_is_a_conflict_without_retry(
    client: OkrClient, service: CommandService, tenant: str
) -> None:
    await create_objective(client)

    reply = await client.send(
        "record_check_in",
        goal_type="objective",
        goal_id="o1",
        key_result_id="arr",
        value=150,
        confidence=0.7,
        meta={**IN_Q4, "expected_version": 1},
    )

    assert isinstance(reply, Rejected)
    assert reply.error.code == ErrorCode.CONCURRENCY_CONFLICT
    assert reply.error.retryable


async def test_cascade_alignment_refuses_a_cycle(
    client: OkrClient, service: CommandService, tenant: str
) -> None:
    for team in ("team-a", "team-b", "team-c"):
        await client.execute(
            "create_objective",
            objective_id=team,
            title=team,
            level="team",
            owner="lead",
            cycle=Q4,
            meta=IN_Q4,
        )
    for child, parent in (("team-a", "team-b"), ("team-b", "team-c")):
        await client.execute(
            "align_goal",
            goal_type="objective",
            goal_id=child,
            meta=IN_Q4,
            parent={"kind": "objective", "objective_id": parent},
        )

    reply = await client.send(
        "align_goal",
        goal_type="objective",
        goal_id="team-c",
        meta=IN_Q4,
        parent={"kind": "objective", "objective_id": "team-a"},
    )

    assert isinstance(reply, Rejected)
    assert reply.error.code == ErrorCode.ALIGNMENT_CYCLE
    assert (await stored(service, tenant)).count("goal.aligned") == 2


async def test_alignment_across_tenants_is_refused(
    client: OkrClient, service: CommandService, tenant: str
) -> None:
    await create_objective(client, "mine")

    reply = await client.send(
        "align_goal",
        goal_type="objective",
        goal_id="mine",
        meta=IN_Q4,
        parent={"kind": "objective", "objective_id": "theirs", "tenant_id": "other-tenant"},
    )

    assert isinstance(reply, Rejected)
    assert reply.error.code == ErrorCode.ALIGNMENT_ACROSS_TENANTS


async def test_two_service_instances_stay_correct_with_stale_caches(
    nats_client: Client, nats_url: str, service: CommandService, tenant: str
) -> None:
    other_settings = Settings(
        nats_url=nats_url, stream_name=service.stream_name, subject_root=service.subjects.root
    )
    # A second instance on its own connection: each keeps its own aggregate cache.
    async with command_service(other_settings, nats_url) as other:
        first = OkrClient(nats_client, tenant, "a", service.subjects)
        await create_objective(first)
        for i in range(6):
            handler = (service if i % 2 else other).handler
            command = parse_command(
                "record_check_in",
                tenant,
                json.dumps(
                    {
                        "meta": {"actor": "a", **IN_Q4},
                        "goal_type": "objective",
                        "goal_id": "o1",
                        "key_result_id": "arr",
                        "value": 100 + i,
                        "confidence": 0.5,
                    }
                ).encode(),
                datetime.now(UTC),
            )
            reply = await handler.execute(command)
            assert reply.version == 3 + i
        # A rule judged on a stale cache is re-judged on the stream before refusing.
        await first.execute(
            "add_key_result",
            objective_id="o1",
            key_result_id="nps",
            meta=IN_Q4,
            terms={
                "title": "NPS",
                "weight": 1,
                "metric": {"kind": "numeric", "baseline": 1, "target": 2},
            },
        )
        command = parse_command(
            "record_check_in",
            tenant,
            json.dumps(
                {
                    "meta": {"actor": "a", **IN_Q4},
                    "goal_type": "objective",
                    "goal_id": "o1",
                    "key_result_id": "nps",
                    "value": 1.5,
                    "confidence": 0.5,
                }
            ).encode(),
            datetime.now(UTC),
        )
        assert (await other.handler.execute(command)).version == 10


async def test_the_same_report_key_on_two_goals_counts_on_each(
    client: OkrClient, service: CommandService, tenant: str
) -> None:
    await create_objective(client, "o1")
    await create_objective(client, "o2")
    report = {
        "goal_type": "objective",
        "key_result_id": "arr",
        "source": "jira",
        "idempotency_key": "SHARED-1",
        "value": 130,
        "observed_at": "2026-11-02T08:00:00Z",
        "meta": IN_Q4,
    }

    first = await client.execute("report_progress", goal_id="o1", **report)
    second = await client.execute("report_progress", goal_id="o2", **report)

    assert not first.duplicate
    assert not second.duplicate
    assert (await stored(service, tenant)).count("progress.reported") == 2
