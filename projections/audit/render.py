"""The audit report as a document a person reads: Markdown, or HTML with charts."""

from __future__ import annotations

import html
from collections.abc import Sequence

from projections.audit.chart import kr_chart_svg
from projections.audit.report import AuditReport, GoalAudit, KeyResultAudit, ScorePoint

_BASIS = {
    "occurred": "what had happened by then (business time)",
    "recorded": "what the system had been told by then (recorded time)",
}


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _num(value: float | None) -> str:
    """A value as people write it: 1,200,000 rather than 1.2e+06."""
    if value is None:
        return "-"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.6g}"


def _flags(p: ScorePoint) -> str:
    return ", ".join(f for f, on in (("late", p.late), ("superseded", p.superseded)) if on)


def _history_rows(points: Sequence[ScorePoint]) -> list[list[str]]:
    return [
        [
            p.applies_at.isoformat(),
            p.recorded_at.isoformat(),
            p.kind,
            p.actor,
            _num(p.value),
            _num(p.target_in_force),
            _score(p.score),
            _flags(p),
        ]
        for p in points
    ]


_HISTORY = ["applies at", "recorded at", "kind", "by", "value", "target then", "score", "flags"]


def _md_table(head: list[str], rows: list[list[str]]) -> list[str]:
    cells = [head, ["---"] * len(head), *rows]
    return ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in cells]


def _md_key_result(kr: KeyResultAudit) -> list[str]:
    lines = [
        f"#### KR {kr.key_result_id}: {kr.title}",
        f"Final value {_num(kr.final_value)}{(' ' + kr.unit) if kr.unit else ''}; score "
        f"{_score(kr.final_score)} under the target in force ({_num(kr.target)}), "
        f"{_score(kr.final_score_under_original_target)} under the original target "
        f"({_num(kr.original_target)}).",
        "",
    ]
    lines += _md_table(_HISTORY, _history_rows(kr.history)) if kr.history else ["No entries."]
    for a in kr.adjustments:
        old, new = a.before["metric"]["target"], a.after["metric"]["target"]
        lines += [
            "",
            f"- Adjusted by {a.actor} (occurred {a.occurred_at.isoformat()}, recorded "
            f"{a.recorded_at.isoformat()}{', mid-cycle' if a.mid_cycle else ''}): "
            f"{', '.join(a.changed_fields)}; target {_num(old)} → {_num(new)}. "
            f"Why: {a.reason or '-'}. "
            f"Score then under original {_score(a.score_under_original)}, under revised "
            f"{_score(a.score_under_revised)}.",
        ]
    return [*lines, ""]


def _md_goal(goal: GoalAudit) -> list[str]:
    lines = [
        f"### {goal.goal_type} {goal.goal_id}: {goal.title}",
        f"{goal.level}, owner {goal.owner}, {goal.status}. Final score "
        f"{_score(goal.final_score)} (expectation {goal.expectation:g}, {goal.band}).",
    ]
    if goal.goal_type == "smart_goal":
        lines.append(f"Deadline {goal.deadline}, outcome {goal.outcome}.")
        lines += ["", *_md_table(_HISTORY, _history_rows(goal.history))]
    lines.append("")
    for kr in goal.key_results:
        lines += _md_key_result(kr)
    return lines


def _late(report: AuditReport) -> list[tuple[str, ScorePoint]]:
    found = []
    for goal in report.goals:
        found += [(goal.goal_id, p) for p in goal.history if p.late or p.superseded]
        for kr in goal.key_results:
            found += [
                (f"{goal.goal_id}/{kr.key_result_id}", p)
                for p in kr.history
                if p.late or p.superseded
            ]
    return found


def to_markdown(report: AuditReport) -> str:
    """The report as GitHub-flavoured Markdown."""
    lines = [
        f"# Audit of {report.tenant_id}, cycle {report.cycle_id} "
        f"({report.cycle_starts_on} .. {report.cycle_ends_on})",
        "",
        f"As of {report.as_of.isoformat()}, basis **{report.basis}**: {_BASIS[report.basis]}.",
        f"Built from {report.events_considered} events up to stream sequence "
        f"{report.last_stream_sequence}; source digest `{report.source_digest}` (equal "
        "digests: the same facts).",
        "",
        "## Goals",
        "",
    ]
    for goal in report.goals:
        lines += _md_goal(goal)
    late = _late(report)
    lines += ["## Late or superseded entries", ""]
    lines += (
        _md_table(["goal", *_HISTORY], [[g, *_history_rows([p])[0]] for g, p in late])
        if late
        else ["None."]
    )
    return "\n".join(lines) + "\n"


def _html_table(head: list[str], rows: list[list[str]]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{th}</tr>{body}</table>"


def to_html(report: AuditReport) -> str:
    """The report as one self-contained HTML page with an SVG chart per measure."""
    e = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Audit {e(report.tenant_id)} {e(report.cycle_id)}</title><style>",
        "body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:"
        "collapse}td,th{border:1px solid #ccc;padding:2px 6px;font-size:90%}</style></head><body>",
        f"<h1>Audit of {e(report.tenant_id)}, cycle {e(report.cycle_id)}</h1>",
        f"<p>As of {e(report.as_of.isoformat())}, basis <b>{e(report.basis)}</b>: "
        f"{e(_BASIS[report.basis])}. {report.events_considered} events up to sequence "
        f"{report.last_stream_sequence}. Source digest <code>{e(report.source_digest)}</code>"
        "</p>",
    ]
    for goal in report.goals:
        parts.append(
            f"<h2>{e(goal.goal_type)} {e(goal.goal_id)}: {e(goal.title)}</h2><p>"
            f"{e(goal.level)}, owner {e(goal.owner)}, {e(goal.status)}; final score "
            f"{_score(goal.final_score)} (expectation {goal.expectation:g}, {e(goal.band)})</p>"
        )
        measures: list[tuple[str, Sequence[ScorePoint], float, float]] = [
            (f"KR {kr.key_result_id}: {kr.title}", kr.history, kr.baseline, kr.original_target)
            for kr in goal.key_results
        ]
        if goal.goal_type == "smart_goal":
            target = goal.history[0].target_in_force if goal.history else 0.0
            measures.append(
                (f"deadline {goal.deadline}, outcome {goal.outcome}", goal.history, 0.0, target)
            )
        for title, points, baseline, original in measures:
            parts.append(f"<h3>{e(title)}</h3>")
            parts.append(
                kr_chart_svg(
                    points, baseline, original, report.cycle_starts_on, report.cycle_ends_on
                )
            )
            parts.append(_html_table(_HISTORY, _history_rows(points)))
        for kr in goal.key_results:
            for a in kr.adjustments:
                parts.append(
                    f"<p>KR {e(kr.key_result_id)} adjusted by {e(a.actor)} at "
                    f"{e(a.occurred_at.isoformat())} (recorded {e(a.recorded_at.isoformat())}): "
                    f"{e(', '.join(a.changed_fields))}; why: {e(a.reason or '-')}; score under "
                    f"original {_score(a.score_under_original)}, under revised "
                    f"{_score(a.score_under_revised)}</p>"
                )
    late = _late(report)
    parts.append("<h2>Late or superseded entries</h2>")
    parts.append(
        _html_table(["goal", *_HISTORY], [[g, *_history_rows([p])[0]] for g, p in late])
        if late
        else "<p>None.</p>"
    )
    parts.append("</body></html>")
    return "".join(parts)
