"""The report's opening: what it covers, on which two instants, and the facts it rests on."""

from __future__ import annotations

from html import escape

from projections.audit.report import AuditReport
from projections.audit.text import instant


def title(report: AuditReport) -> str:
    """The report's title."""
    return (
        f"Audit of {report.tenant_id}, cycle {report.cycle_id} "
        f"({report.cycle_starts_on} .. {report.cycle_ends_on})"
    )


def question(report: AuditReport) -> str:
    """The question the report answers, in words."""
    return (
        f"The goals as they stood on {instant(report.as_of)} (valid time), as the service "
        f"knew them on {instant(report.known_at)} (transaction time)."
    )


def provenance(report: AuditReport) -> str:
    """The facts the report rests on."""
    return (
        f"Built from {report.events_considered} events up to stream sequence "
        f"{report.last_stream_sequence}. Source digest {report.source_digest}: two auditors "
        "with the same digest looked at the same facts."
    )


def markdown(report: AuditReport) -> list[str]:
    """The opening in Markdown."""
    digest = provenance(report).replace(report.source_digest, f"`{report.source_digest}`")
    return [f"# {title(report)}", "", question(report), "", digest, ""]


def html(report: AuditReport) -> str:
    """The opening in HTML."""
    digest = escape(provenance(report)).replace(
        report.source_digest, f"<code>{report.source_digest}</code>"
    )
    return f"<h1>{escape(title(report))}</h1><p>{escape(question(report))}</p><p>{digest}</p>"
