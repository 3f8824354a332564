"""The summary table: every goal of the cycle on one line, as of the instant."""

from __future__ import annotations

from projections.audit.report import AuditReport, GoalAudit
from projections.audit.sections import Section
from projections.audit.text import html_table, md_table, score

HEAD = [
    "goal",
    "title",
    "owner",
    "level",
    "score",
    "expects",
    "met",
    "band",
    "pace",
    "confidence",
    "status",
]


def status(goal: GoalAudit, cycle_id: str) -> str:
    """The goal's status, with where a carried-over goal went or came from."""
    moved = goal.carried_over
    if moved is None:
        return goal.status
    if moved.from_cycle == cycle_id:
        return f"{goal.status}, carried over to {moved.to_cycle}"
    return f"{goal.status}, carried over from {moved.from_cycle}"


def rows(report: AuditReport) -> list[list[str]]:
    """One row per goal."""
    return [
        [
            f"{g.goal_type}/{g.goal_id}",
            g.title,
            g.owner,
            g.level,
            score(g.final_score),
            f"{g.expectation:g}",
            "met" if g.met else "below",
            g.band or "-",
            g.pace or "-",
            score(g.confidence),
            status(g, report.cycle_id),
        ]
        for g in report.goals
    ]


def _markdown(report: AuditReport) -> list[str]:
    return md_table(HEAD, rows(report)) if report.goals else ["No goals."]


def _html(report: AuditReport) -> str:
    return html_table(HEAD, rows(report), "summary") if report.goals else "<p>No goals.</p>"


SECTION = Section("Summary", _markdown, _html)
