"""``okr audit`` refuses an instant it cannot place with a hint that, sent as is, works."""

from __future__ import annotations

import argparse
import re

import pytest

from projections.audit.check import ConsistencyCheck, FieldDifference
from services.entrypoints.cli.audit import _instant, add_audit_commands, check_table


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="okr")
    add_audit_commands(parser.add_subparsers(dest="command"))
    return parser


@pytest.mark.parametrize("text", ["2026-11-15", "2026-11-15T09:30", "2026-11-15T09:30:00"])
def test_an_instant_without_a_zone_gets_a_hint_that_parses(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        _instant(text)

    hint = re.search(r"e\.g\. (\S+)", str(refused.value))
    assert hint is not None
    assert _instant(hint.group(1)).tzinfo is not None


def test_report_and_check_take_both_axes() -> None:
    args = _parser().parse_args(
        [
            "audit",
            "check",
            "--tenant",
            "acme",
            "--as-of",
            "2026-11-10T00:00:00Z",
            "--known-at",
            "2026-11-12T00:00:00+00:00",
            "--format",
            "json",
        ]
    )

    assert (args.as_of.day, args.known_at.day, args.format) == (10, 12, "json")
    report = _parser().parse_args(
        [
            "audit",
            "report",
            "--tenant",
            "acme",
            "--cycle",
            "2026-q4",
            "--known-at",
            "2026-11-20T00:00:00Z",
        ]
    )
    assert report.as_of is None  # defaults to now when run


def test_the_check_table_is_keyed_by_goal_and_field() -> None:
    found = ConsistencyCheck(
        tenant_id="acme",
        as_of=_instant("2026-11-10T00:00:00Z"),
        known_at=_instant("2026-11-12T00:00:00Z"),
        goals_compared=3,
        differences=(
            FieldDifference(
                goal="objective/co", field="key_results.arr.score", live=1.0, replay=0.5
            ),
            FieldDifference(goal="objective/co", field="pace", live="on_track", replay="at_risk"),
        ),
    )

    lines = check_table(found).splitlines()

    assert lines[0].split() == ["goal", "field", "live", "replay"]
    assert lines[2].split() == ["objective/co", "key_results.arr.score", "1.0", "0.5"]
    assert lines[-1].startswith("2 differences in 3 goals")
    assert not found.consistent
