"""Every change to a key result's terms in the cycle, on both time axes, scored both ways."""

from __future__ import annotations

from projections.audit.chart import target_of
from projections.audit.report import AuditReport
from projections.audit.sections import Section
from projections.audit.text import html_table, instant, md_table, number, one_line, score

HEAD = [
    "goal / KR",
    "valid time",
    "transaction time",
    "actor",
    "changed",
    "target",
    "reason",
    "value then",
    "score under original",
    "under revised",
]


def rows(report: AuditReport) -> list[list[str]]:
    """One row per adjustment, goal by goal."""
    found = []
    for goal in report.goals:
        for kr in goal.key_results:
            for a in kr.adjustments:
                old, new = target_of(a.before), target_of(a.after)
                target = number(new) if old == new else f"{number(old)} → {number(new)}"
                found.append(
                    [
                        f"{goal.goal_id} / {kr.key_result_id}",
                        instant(a.occurred_at),
                        instant(a.recorded_at),
                        a.actor,
                        ", ".join(a.changed_fields) or "-",
                        target,
                        one_line(a.reason or "-"),
                        number(a.value_at_adjustment),
                        score(a.score_under_original),
                        score(a.score_under_revised),
                    ]
                )
    return found


def _markdown(report: AuditReport) -> list[str]:
    found = rows(report)
    return md_table(HEAD, found) if found else ["None."]


def _html(report: AuditReport) -> str:
    found = rows(report)
    return html_table(HEAD, found, "adjustments") if found else "<p>None.</p>"


SECTION = Section("Adjustments", _markdown, _html)
