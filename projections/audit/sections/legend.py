"""The legend: the two time axes and what each flag means."""

from __future__ import annotations

from html import escape

from projections.audit.axes import FLAG_AFTER
from projections.audit.chart import LEGEND as CHART_LEGEND
from projections.audit.report import AuditReport
from projections.audit.sections import Section

_DAYS = FLAG_AFTER.days
TERMS = (
    (
        "valid time",
        "when a fact applies in the world: a check-in's applies_at, a report's "
        "observed_at, and for every other change the business time its sender gave",
    ),
    ("transaction time", "when the service recorded the fact (recorded_at)"),
    (
        "late",
        f"an integration's report recorded more than {_DAYS} days after the instant it observed",
    ),
    (
        "back-dated",
        f"a check-in its sender dated more than {_DAYS} days before the moment it sent it",
    ),
    (
        "superseded",
        "a value recorded after one of later valid time was already known: kept "
        "in the history, it does not replace the newer value",
    ),
    ("target in force", "the target of the key result at the entry's valid time"),
)


def _markdown(report: AuditReport) -> list[str]:
    return [*(f"- **{term}**: {meaning}." for term, meaning in TERMS), "", CHART_LEGEND]


def _html(report: AuditReport) -> str:
    items = "".join(f"<dt>{escape(t)}</dt><dd>{escape(m)}.</dd>" for t, m in TERMS)
    return f"<dl class='legend'>{items}</dl><p><small>{escape(CHART_LEGEND)}</small></p>"


SECTION = Section("Legend", _markdown, _html)
