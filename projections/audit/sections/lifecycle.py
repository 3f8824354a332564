"""Goals that moved between cycles (listed in both, linked) and goals that were closed."""

from __future__ import annotations

from projections.audit.report import AuditReport
from projections.audit.sections import Section
from projections.audit.text import html_table, instant, md_table, one_line, score

CARRIED = ["goal", "from cycle", "to cycle", "valid time", "transaction time", "actor", "reason"]
CLOSED = ["goal", "closed at (valid time)", "transaction time", "actor", "grade", "note"]


def carried_rows(report: AuditReport) -> list[list[str]]:
    """A row per goal carried into or out of the cycle."""
    return [
        [
            f"{g.goal_type}/{g.goal_id}",
            c.from_cycle,
            c.to_cycle,
            instant(c.valid_at),
            instant(c.recorded_at),
            c.actor,
            one_line(c.reason or "-"),
        ]
        for g in report.goals
        if (c := g.carried_over) is not None
    ]


def closed_rows(report: AuditReport) -> list[list[str]]:
    """A row per closed goal."""
    return [
        [
            f"{g.goal_type}/{g.goal_id}",
            instant(c.closed_at),
            instant(c.recorded_at),
            c.actor,
            score(c.grade),
            one_line(c.note or "-"),
        ]
        for g in report.goals
        if (c := g.closed) is not None
    ]


def _md(head: list[str], found: list[list[str]]) -> list[str]:
    return md_table(head, found) if found else ["None."]


def _html(head: list[str], found: list[list[str]]) -> str:
    return html_table(head, found) if found else "<p>None.</p>"


CARRIED_OVER = Section(
    "Carried over",
    lambda r: _md(CARRIED, carried_rows(r)),
    lambda r: _html(CARRIED, carried_rows(r)),
)
CLOSED_GOALS = Section(
    "Closed goals",
    lambda r: _md(CLOSED, closed_rows(r)),
    lambda r: _html(CLOSED, closed_rows(r)),
)
