"""Where each key result is likely to land at the cycle's end if the trend of its entries
valid by the instant holds (docs/scoring.md), as the score route shows it."""

from __future__ import annotations

from projections.audit.report import AuditReport, GoalAudit, KeyResultAudit
from projections.audit.sections import Section
from projections.audit.text import amount, html_table, instant, md_table, one_line
from projections.scoring.forecast import EN_DASH

HEAD = ["goal / KR", "entries", "value at the cycle's end", "band", "read at", "forecast"]
TOO_FEW = "no forecast: entries at fewer than two instants"


def _row(goal: GoalAudit, kr: KeyResultAudit) -> list[str]:
    name = f"{goal.goal_id} / {kr.key_result_id}: {one_line(kr.title)}"
    f = kr.forecast
    if f is None:
        return [name, str(len(kr.history)), "-", "-", "-", TOO_FEW]

    def a(value: float) -> str:
        return amount(value, kr.metric_kind, kr.unit)

    band = f"{a(f.value_low)} {EN_DASH} {a(f.value_high)}"
    return [name, str(f.observations), a(f.value), band, instant(f.at), f.sentence]


def rows(report: AuditReport) -> list[list[str]]:
    """One row per key result, goal by goal."""
    return [_row(goal, kr) for goal in report.goals for kr in goal.key_results]


def _markdown(report: AuditReport) -> list[str]:
    found = rows(report)
    return md_table(HEAD, found) if found else []


def _html(report: AuditReport) -> str:
    found = rows(report)
    return html_table(HEAD, found, "forecasts") if found else ""


SECTION = Section("Forecasts", _markdown, _html)
