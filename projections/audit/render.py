"""The audit report as a document a person reads: Markdown, or HTML with charts, composed
of the sections in ``SECTIONS`` (one module each under ``projections/audit/sections/``)."""

from __future__ import annotations

from html import escape

from projections.audit.report import AuditReport
from projections.audit.sections import (
    Section,
    adjustments,
    cascade,
    forecasts,
    goals,
    header,
    legend,
    lifecycle,
    policy_changes,
    skipped,
    summary,
)

# Reading order: the summary first, then the cascade, then each goal's story and where
# its key results are heading.
SECTIONS: tuple[Section, ...] = (
    summary.SECTION,
    cascade.SECTION,
    legend.SECTION,
    goals.SECTION,
    forecasts.SECTION,
    adjustments.SECTION,
    lifecycle.CARRIED_OVER,
    lifecycle.CLOSED_GOALS,
    policy_changes.SECTION,
    skipped.SECTION,
)
_CSS = (
    "body{font-family:sans-serif;max-width:80em;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;"
    "font-size:90%;text-align:left}tr.flagged td{background:#fff7e6}code{font-size:85%}"
    ".band{padding:0 .4em;border-radius:3px;color:#fff;font-size:70%}.red{background:#dc2626}"
    ".yellow{background:#ca8a04}.green{background:#16a34a}dt{font-weight:bold;float:left;"
    "clear:left;width:10em}dd{margin-left:11em}svg{display:block;margin:.5em 0}"
)


def to_markdown(report: AuditReport, sections: tuple[Section, ...] = SECTIONS) -> str:
    """The report as GitHub-flavoured Markdown."""
    lines = header.markdown(report)
    for section in sections:
        body = section.markdown(report)
        while body and not body[-1]:
            body = body[:-1]
        if body:
            lines += [f"## {section.title}", "", *body, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def to_html(report: AuditReport, sections: tuple[Section, ...] = SECTIONS) -> str:
    """The report as one self-contained HTML page with an SVG chart per measure."""
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(header.title(report))}</title><style>{_CSS}</style></head><body>",
        header.html(report),
    ]
    for section in sections:
        body = section.html(report)
        if body:
            parts.append(f"<h2>{escape(section.title)}</h2>{body}")
    parts.append("</body></html>")
    return "".join(parts)
