"""The edge's rules on their own: bounded JSON, storable text, the date window, cycles."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from events.values import Cycle, Metric, MetricKind
from services.application.codec import parse_command
from services.application.untrusted_json import (
    MAX_JSON_DEPTH,
    UNSTORABLE_TEXT,
    UnreadableJson,
    read_json,
    unstorable_text,
)
from services.domain.bounds import cycle_fits, date_in_window, instant_in_window, metric_fits
from services.domain.errors import ErrorCode, RuleViolation

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 3000 + b"]" * 3000,
        b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1),
        b'{"a":' * 40 + b"1" + b"}" * 40,
        b"7" * 5000,
        b"-" + b"9" * 21,
        b"\xff{}",
        b"",
        b"{",
    ],
)
def test_unreadable_bodies_are_refused_with_a_reason(body: bytes) -> None:
    with pytest.raises(UnreadableJson):
        read_json(body)


def test_bodies_within_the_limits_are_read() -> None:
    nested = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
    assert read_json(nested) is not None
    assert read_json(b"18446744073709551615") == 2**64 - 1
    assert read_json(b'"\\ud800"') == "\ud800"  # read, so that the text rule names it
    assert read_json(b"[NaN, 1e400, -0.0]")[1] == float("inf")


@pytest.mark.parametrize(
    ("data", "criteria"),
    [
        ({"title": "a\x00b"}, ["title"]),
        ({"title": "a\ud800b"}, ["title"]),
        ({"title": "\udfff"}, ["title"]),
        ({"terms": {"metric": {"milestones": ["ok", "x\x00"]}}}, ["terms.metric.milestones.1"]),
        ({"a\x00": 1}, ["a\\u0000"]),
        ({"title": "zero\u200bwidth \u202eright-to-left\u202c \U0001f600"}, []),
        ("\x00", ["body"]),
    ],
)
def test_unstorable_text_is_named_by_its_path(data: Any, criteria: list[str]) -> None:
    found = unstorable_text(data)

    assert [v.criterion for v in found] == criteria
    assert all(v.code == UNSTORABLE_TEXT for v in found)


def _objective(**fields: Any) -> bytes:
    body = {
        "meta": {"actor": "ana"},
        "objective_id": "o1",
        "title": "Grow",
        "level": "company",
        "owner": "ceo",
        "cycle": {"id": "2026-q4", "starts_on": "2026-10-01", "ends_on": "2026-12-31"},
        **fields,
    }
    return json.dumps(body).encode()


def _refusal(body: bytes, name: str = "create_objective") -> tuple[ErrorCode, set[str]]:
    with pytest.raises(RuleViolation) as refused:
        parse_command(name, "acme", body, NOW)
    return refused.value.code, {v.criterion for v in refused.value.violations}


@pytest.mark.parametrize(
    ("fields", "criterion"),
    [
        ({"team": "t" * 200_001}, "team"),
        ({"title": "a\x00b"}, "title"),
        ({"cycle": {"id": "2026-q4", "starts_on": "2026-10-01", "ends_on": "9999-12-31"}}, "cycle"),
        ({"cycle": {"id": "2026-q4", "starts_on": "2026-10-01", "ends_on": "2026-12-30"}}, "cycle"),
        ({"cycle": {"id": "long", "starts_on": "2026-01-01", "ends_on": "2027-01-02"}}, "cycle"),
        ({"cycle": {"id": "old", "starts_on": "1969-12-31", "ends_on": "1970-01-31"}}, "cycle"),
        ({"meta": {"actor": "ana", "now": "2101-01-01T00:00:00Z"}}, "meta.now"),
        ({"meta": {"actor": "ana", "expected_version": 2**31}}, "meta.expected_version"),
    ],
)
def test_commands_outside_the_bounds_are_refused_by_field(
    fields: dict[str, Any], criterion: str
) -> None:
    assert _refusal(_objective(**fields)) == (ErrorCode.INVALID_COMMAND, {criterion})


def test_a_command_over_the_size_limit_is_too_large() -> None:
    assert _refusal(_objective(description="d" * 300_000))[0] == ErrorCode.TOO_LARGE


@pytest.mark.parametrize(
    ("fields", "criterion"),
    [
        ({"value": 1e308}, "value"),
        ({"value": -1e16}, "value"),
        ({"applies_at": "1969-12-31T23:59:59Z"}, "applies_at"),
    ],
)
def test_check_ins_outside_the_bounds_are_refused_by_field(
    fields: dict[str, Any], criterion: str
) -> None:
    body = {
        "meta": {"actor": "ana"},
        "goal_type": "objective",
        "goal_id": "o1",
        "key_result_id": "k1",
        "value": 1,
        "confidence": 0.5,
        **fields,
    }
    refusal = _refusal(json.dumps(body).encode(), "record_check_in")
    assert refusal == (ErrorCode.INVALID_COMMAND, {criterion})


def test_the_window_is_1970_to_2100_inclusive() -> None:
    assert date_in_window(date(1970, 1, 1)) == date(1970, 1, 1)
    assert date_in_window(date(2100, 12, 31)) == date(2100, 12, 31)
    assert instant_in_window(datetime(2100, 12, 31, 23, 59, 59, tzinfo=UTC))
    for day in (date(1969, 12, 31), date(2101, 1, 1), date(9999, 12, 31)):
        with pytest.raises(ValueError, match="between 1970 and 2100"):
            date_in_window(day)
    with pytest.raises(ValueError, match="between 1970 and 2100"):
        instant_in_window(datetime(2101, 1, 1, tzinfo=UTC))


def test_cycles_last_at_most_a_year_and_quarters_keep_their_dates() -> None:
    leap_year = Cycle(id="fy-2028", starts_on=date(2028, 1, 1), ends_on=date(2028, 12, 31))
    assert cycle_fits(leap_year) == leap_year
    assert cycle_fits(Cycle.quarter("2100-q4")) == Cycle.quarter("2100-q4")
    with pytest.raises(ValueError, match="at most 366 days"):
        cycle_fits(Cycle(id="x", starts_on=date(2027, 1, 1), ends_on=date(2028, 1, 2)))
    with pytest.raises(ValueError, match="2026-10-01 to 2026-12-31"):
        cycle_fits(Cycle(id="2026-q4", starts_on=date(2026, 10, 2), ends_on=date(2026, 12, 31)))


def test_metrics_keep_their_numbers_and_milestones_bounded() -> None:
    with pytest.raises(ValueError, match="within"):
        metric_fits(Metric(kind=MetricKind.NUMERIC, baseline=-1e308, target=1e308))
    with pytest.raises(ValueError, match="at most 50 milestones"):
        metric_fits(Metric(kind=MetricKind.MILESTONE, target=51, milestones=("m",) * 51))
    with pytest.raises(ValueError, match="1 to 200 characters"):
        metric_fits(Metric(kind=MetricKind.MILESTONE, target=1, milestones=("m" * 201,)))
    fine = Metric(kind=MetricKind.MILESTONE, target=2, milestones=("beta", "ga"))
    assert metric_fits(fine) == fine
