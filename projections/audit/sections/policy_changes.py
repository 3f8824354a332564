"""The tenant's scoring-policy changes in view: who, when, what, why, and each goal's score
just before and after (the entries themselves: ``projections/audit/policy_changes.py``)."""

from __future__ import annotations

from projections.audit.report import AuditReport
from projections.audit.sections import Section
from projections.audit.text import html_table, md_table, one_line, score

HEAD = ["in force from", "recorded", "by", "changed", "why", "goal scores before → after"]


def rows(report: AuditReport) -> list[list[str]]:
    """A row per policy change."""
    return [
        [
            c.effective_at.isoformat(),
            c.recorded_at.isoformat(),
            c.actor,
            ", ".join(f"{s.setting}: {s.before} → {s.after}" for s in c.changes),
            one_line(c.reason or "-"),
            "; ".join(
                f"{g.goal_id} {score(g.score_before)} → {score(g.score_after)}" for g in c.goals
            ),
        ]
        for c in report.policy_changes
    ]


SECTION = Section(
    "Scoring policy changes",
    lambda r: md_table(HEAD, rows(r)) if r.policy_changes else [],
    lambda r: html_table(HEAD, rows(r)) if r.policy_changes else "",
)
