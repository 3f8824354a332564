"""The cascade as of the instant: each company objective and what is aligned under it,
with own and rolled-up scores."""

from __future__ import annotations

from html import escape

from projections.audit.report import AuditReport
from projections.audit.sections import Section
from projections.audit.text import one_line, score
from projections.views import CascadeNode


def line(node: CascadeNode) -> str:
    """One goal of the cascade in words."""
    g = node.goal
    via = f" (serves KR {node.aligned_to_key_result})" if node.aligned_to_key_result else ""
    return (
        f"{g.level} {g.goal_type}/{g.goal_id} {one_line(g.title)}: own {score(g.score)}, "
        f"rolled-up {score(node.rolled_up_score)}, pace {g.pace or '-'}{via}"
    )


def _md_node(node: CascadeNode, depth: int) -> list[str]:
    lines = [f"{'  ' * depth}- {line(node)}"]
    for child in node.children:
        lines += _md_node(child, depth + 1)
    return lines


def _html_node(node: CascadeNode) -> str:
    kids = "".join(_html_node(c) for c in node.children)
    return f"<li>{escape(line(node))}{f'<ul>{kids}</ul>' if kids else ''}</li>"


def _markdown(report: AuditReport) -> list[str]:
    if not report.cascade:
        return ["No company objective in the cycle."]
    return [line for tree in report.cascade for line in _md_node(tree, 0)]


def _html(report: AuditReport) -> str:
    if not report.cascade:
        return "<p>No company objective in the cycle.</p>"
    return f"<ul class='cascade'>{''.join(_html_node(t) for t in report.cascade)}</ul>"


SECTION = Section("Cascade", _markdown, _html)
