"""Reading integration messages: each report judged on its own, the message only when unreadable."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from services.application.ingest.reports import (
    MAX_BATCH_REPORTS,
    MAX_INGEST_BYTES,
    BadReport,
    MessageRefused,
    ProgressReport,
    ReadReport,
    read_message,
    report_command,
)
from services.domain.errors import ErrorCode

NOW = datetime(2026, 11, 15, tzinfo=UTC)


def report(**changes: Any) -> dict[str, Any]:
    return {
        "goal_type": "objective",
        "goal_id": "o1",
        "key_result_id": "arr",
        "value": 150,
        "source": "crm",
        "idempotency_key": "deal-1",
        "observed_at": "2026-11-10T08:00:00Z",
        **changes,
    }


def test_a_bare_report_is_one_item_and_no_batch() -> None:
    message = read_message("acme", json.dumps(report()).encode())

    assert not message.batch
    [item] = message.items
    assert isinstance(item, ReadReport)
    assert item.report.value == 150.0


def test_a_batch_keeps_good_and_bad_reports_apart_with_their_positions() -> None:
    body = json.dumps({"reports": [report(), report(value="lots"), report(source="Bad Source")]})

    message = read_message("acme", body.encode())

    assert message.batch
    assert [type(i) for i in message.items] == [ReadReport, BadReport, BadReport]
    bad = message.items[1]
    assert isinstance(bad, BadReport)
    assert bad.error.code is ErrorCode.INVALID_REPORT
    assert [v.criterion for v in bad.error.violations] == ["value"]
    assert json.loads(bad.raw) == report(value="lots")


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", '"NaN"', '"inf"'])
def test_values_that_are_not_finite_are_refused_by_the_report_not_the_message(value: str) -> None:
    body = json.dumps(report(value=0)).replace('"value": 0', f'"value": {value}')

    [item] = read_message("acme", body.encode()).items

    assert isinstance(item, BadReport)
    assert item.error.violations[0].criterion == "value"


@pytest.mark.parametrize(
    ("tenant", "body", "code"),
    [
        ("acme", b"nope", ErrorCode.MALFORMED_REQUEST),
        ("acme", b'"a string"', ErrorCode.MALFORMED_REQUEST),
        ("acme", b'{"reports": {}}', ErrorCode.MALFORMED_REQUEST),
        ("acme", b'{"reports": []}', ErrorCode.MALFORMED_REQUEST),
        ("acme", b" " * (MAX_INGEST_BYTES + 1), ErrorCode.TOO_LARGE),
        (
            "acme",
            json.dumps({"reports": [{}] * (MAX_BATCH_REPORTS + 1)}).encode(),
            ErrorCode.TOO_LARGE,
        ),
        ("ACME", json.dumps(report()).encode(), ErrorCode.MALFORMED_REQUEST),
    ],
)
def test_an_unreadable_message_is_refused_whole(tenant: str, body: bytes, code: ErrorCode) -> None:
    with pytest.raises(MessageRefused) as refused:
        read_message(tenant, body)

    assert refused.value.error.code is code
    assert not refused.value.error.retryable


def test_the_command_id_is_the_reports_identity_not_its_value() -> None:
    first = report_command(ProgressReport.model_validate(report()), "acme", NOW)
    resent = report_command(ProgressReport.model_validate(report(value=170)), "acme", NOW)
    other_goal = report_command(ProgressReport.model_validate(report(goal_id="o2")), "acme", NOW)

    assert first.meta.command_id == resent.meta.command_id
    assert first.meta.command_id != other_goal.meta.command_id
    assert first.meta.actor == "integration:crm"  # the integration, never a sender's claim
    assert (first.source, first.idempotency_key, first.observed_at) == (
        "crm",
        "deal-1",
        datetime(2026, 11, 10, 8, tzinfo=UTC),
    )
