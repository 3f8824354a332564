"""The report's sections, one module each: a section renders one part of the report in
Markdown and in HTML, and ``projections/audit/render.py`` lists them in reading order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from projections.audit.report import AuditReport


@dataclass(frozen=True)
class Section:
    """One part of the report: a title, and its body in each format (empty: left out)."""

    title: str
    markdown: Callable[[AuditReport], list[str]]
    html: Callable[[AuditReport], str]
