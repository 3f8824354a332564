"""Events the replay passed over, each with why: the report rests on the others."""

from __future__ import annotations

from projections.audit.report import AuditReport
from projections.audit.sections import Section
from projections.audit.text import html_table, md_table

HEAD = ["stream sequence", "subject", "event type", "error"]


def rows(report: AuditReport) -> list[list[str]]:
    """A row per skipped event."""
    return [
        [str(s.stream_sequence), s.subject, s.event_type or "-", s.error]
        for s in report.skipped_events
    ]


SECTION = Section(
    "Skipped events",
    lambda r: md_table(HEAD, rows(r)) if r.skipped_events else [],
    lambda r: html_table(HEAD, rows(r)) if r.skipped_events else "",
)
