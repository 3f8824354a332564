"""The example subscriber (examples/kr_off_track.py) sees a KR turn off track via the service."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from nats.aio.client import Client

from events.values import Cycle
from examples import kr_off_track
from services.adapters.stream import StreamSettings
from services.bootstrap import CommandService
from services.client import OkrClient

pytestmark = pytest.mark.integration
Q4 = Cycle.quarter("2026-q4").model_dump(mode="json")
IN_Q4 = {"now": "2026-10-01T09:00:00Z"}
MID_Q4 = {"now": "2026-11-15T09:00:00Z"}  # about half the cycle elapsed


async def drive_objective_off_track(client: OkrClient) -> None:
    """Two KRs: 'nps' falls behind the pace, 'arr' keeps pace but its confidence drops."""
    await client.execute(
        "create_objective",
        objective_id="o1",
        title="Grow revenue",
        level="company",
        owner="ceo",
        cycle=Q4,
        commitment="committed",
        meta=IN_Q4,
    )
    for kr, baseline, target in (("arr", 100, 200), ("nps", 30, 50)):
        await client.execute(
            "add_key_result",
            objective_id="o1",
            key_result_id=kr,
            meta=IN_Q4,
            terms={
                "title": kr.upper(),
                "weight": 1,
                "metric": {"kind": "numeric", "baseline": baseline, "target": target},
            },
        )
    await client.execute("activate_objective", objective_id="o1", meta=IN_Q4)
    check_in = {"goal_type": "objective", "goal_id": "o1", "meta": MID_Q4}
    # On track (60% done, half the cycle gone, confidence fine): no line.
    await client.execute(
        "record_check_in", key_result_id="arr", value=160, confidence=0.8, **check_in
    )
    # 5% done halfway through: below 0.6 x 49% expected.
    await client.execute(
        "record_check_in", key_result_id="nps", value=31, confidence=0.8, **check_in
    )
    # An integration report that leaves it off track: no second line for 'nps'.
    await client.execute(
        "report_progress",
        goal_type="objective",
        goal_id="o1",
        key_result_id="nps",
        source="survey",
        idempotency_key="s-1",
        value=32,
        observed_at="2026-11-15T08:00:00Z",
        meta=MID_Q4,
    )
    # Keeps pace, but its owner no longer believes in it.
    await client.execute(
        "record_check_in", key_result_id="arr", value=165, confidence=0.3, **check_in
    )


async def test_the_example_prints_when_a_kr_turns_off_track(
    nats_client: Client, service: CommandService, stream_settings: StreamSettings, tenant: str
) -> None:
    client = OkrClient(nats_client, tenant, "tester", service.subjects)
    await drive_objective_off_track(client)
    printed: list[str] = []

    lines = await kr_off_track.watch(
        nats_client,
        tenant,
        stream=stream_settings.name,
        subject_root=service.subjects.root,
        notify=printed.append,
        max_notifications=3,
        timeout_s=3.0,  # a third line would be wrong: wait a little for it
    )

    assert lines == printed
    assert len(lines) == 2, lines
    assert lines[0].startswith("OFF TRACK o1/nps: value 31 ")
    assert "progress 5% < 0.6 x expected" in lines[0]
    assert lines[1].startswith("OFF TRACK o1/arr: value 165 ")
    assert "confidence 0.30 < 0.5" in lines[1]


def test_the_example_imports_nothing_of_this_repository() -> None:
    tree = ast.parse(Path(kr_off_track.__file__).read_text(encoding="utf-8"))
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
    }

    assert imported.isdisjoint({"events", "services", "projections", "tests"}), imported
