"""The audit report as a document a person reads: Markdown, or HTML with charts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from html import escape

from projections.audit.build import LATE_AFTER
from projections.audit.chart import LEGEND, cycle_start, kr_chart_svg, target_of, target_steps
from projections.audit.policy_changes import POLICY_HEAD, policy_rows
from projections.audit.report import AuditReport, GoalAudit, KeyResultAudit, ScorePoint
from projections.read_models.adjustments import AdjustmentEntry

_BASIS = {
    "occurred": "the report shows what had happened by then, whenever the system was told",
    "recorded": "the report shows what the system had been told by then, as it stood that day",
}
_HISTORY = ["applies at", "recorded at", "kind", "by", "value", "target in force", "score", "flags"]
_LATE = ["goal / KR", "entry", "applies at", "recorded at", "recorded after", "by", "flags"]
_CSS = (
    "body{font-family:sans-serif;max-width:62em;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;"
    "font-size:90%;text-align:left}tr.flagged td{background:#fff7e6}code{font-size:85%}"
    ".band{padding:0 .4em;border-radius:3px;color:#fff}.red{background:#dc2626}"
    ".yellow{background:#ca8a04}.green{background:#16a34a}"
)


def _one_line(text: str) -> str:
    # Titles and reasons are free text: a newline would break a heading or a table row.
    return " ".join(text.split())


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _num(value: float | None) -> str:
    """A value as people write it: 1,200,000 rather than 1.2e+06."""
    if value is None:
        return "-"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.6g}"


def _lag(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24}d {hours % 24}h"


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


def _target_change(a: AdjustmentEntry) -> str:
    old, new = target_of(a.before), target_of(a.after)
    return f"target unchanged ({_num(new)})" if old == new else f"target {_num(old)} → {_num(new)}"


def _adjustment(a: AdjustmentEntry) -> str:
    when = f"occurred {a.occurred_at.isoformat()}, recorded {a.recorded_at.isoformat()}"
    return (
        f"By {a.actor} ({when}{', mid-cycle' if a.mid_cycle else ''}): "
        f"changed {', '.join(a.changed_fields) or '-'}; {_target_change(a)}. "
        f"Why: {_one_line(a.reason or '-')}. Value then {_num(a.value_at_adjustment)}, "
        f"score under original {_score(a.score_under_original)}, "
        f"under revised {_score(a.score_under_revised)}."
    )


def _kr_summary(kr: KeyResultAudit) -> str:
    unit = f" {kr.unit}" if kr.unit else ""
    return (
        f"Baseline {_num(kr.baseline)}{unit}, final value {_num(kr.final_value)}{unit}. "
        f"Final score {_score(kr.final_score)} under the target in force ({_num(kr.target)}) "
        f"vs {_score(kr.final_score_under_original_target)} under the original target "
        f"({_num(kr.original_target)})."
    )


def _goal_summary(goal: GoalAudit) -> str:
    text = (
        f"Level {goal.level}, owner {goal.owner}, status {goal.status}. Final score "
        f"{_score(goal.final_score)} against an expectation of {goal.expectation:g}: "
        f"band {goal.band or 'none (nothing to score)'}."
    )
    if goal.goal_type == "smart_goal":
        done = "-" if goal.final_score is None else f"{goal.final_score * 100:.0f}%"
        text += f" {done} complete, deadline {goal.deadline or '-'}, outcome {goal.outcome or '-'}."
    return text


def _goal_heading(goal: GoalAudit) -> str:
    kind = "SMART goal" if goal.goal_type == "smart_goal" else "Objective"
    return f"{kind} {goal.goal_id}: {_one_line(goal.title)}"


def _late_row(where: str, entry: str, at: datetime, recorded: datetime, *rest: str) -> list[str]:
    return [where, entry, at.isoformat(), recorded.isoformat(), _lag(recorded - at), *rest]


def _late_rows(report: AuditReport) -> list[list[str]]:
    """Entries told late or out of order, and adjustments recorded long after they occurred."""
    rows: list[list[str]] = []
    for goal in report.goals:
        measures = [(goal.goal_id, goal.history)]
        measures += [
            (f"{goal.goal_id} / {kr.key_result_id}", kr.history) for kr in goal.key_results
        ]
        for where, history in measures:
            rows += [
                _late_row(where, p.kind, p.applies_at, p.recorded_at, p.actor, _flags(p))
                for p in history
                if p.late or p.superseded
            ]
        for kr in goal.key_results:
            rows += [
                _late_row(
                    f"{goal.goal_id} / {kr.key_result_id}",
                    "adjustment",
                    a.occurred_at,
                    a.recorded_at,
                    a.actor,
                    "back-dated",
                )
                for a in kr.adjustments
                if a.recorded_at - a.occurred_at > LATE_AFTER
            ]
    return rows


# --- Markdown ---------------------------------------------------------------------------------


def _md_table(head: list[str], rows: list[list[str]]) -> list[str]:
    cells = [head, ["---"] * len(head), *rows]
    return ["| " + " | ".join(_one_line(c).replace("|", "\\|") for c in r) + " |" for r in cells]


def _md_history(points: Sequence[ScorePoint]) -> list[str]:
    return _md_table(_HISTORY, _history_rows(points)) if points else ["No entries."]


def _md_key_result(kr: KeyResultAudit) -> list[str]:
    lines = [f"#### KR {kr.key_result_id}: {_one_line(kr.title)}", "", _kr_summary(kr), ""]
    lines += _md_history(kr.history)
    if kr.adjustments:
        lines += ["", "Adjustments:", "", *(f"- {_adjustment(a)}" for a in kr.adjustments)]
    return [*lines, ""]


def _md_goal(goal: GoalAudit) -> list[str]:
    lines = [f"### {_goal_heading(goal)}", "", _goal_summary(goal), ""]
    if goal.goal_type == "smart_goal":
        lines += [*_md_history(goal.history), ""]
    for kr in goal.key_results:
        lines += _md_key_result(kr)
    return lines


def to_markdown(report: AuditReport) -> str:
    """The report as GitHub-flavoured Markdown."""
    lines = [
        f"# Audit of {report.tenant_id}, cycle {report.cycle_id} "
        f"({report.cycle_starts_on} .. {report.cycle_ends_on})",
        "",
        f"As of {report.as_of.isoformat()}, basis **{report.basis}**: {_BASIS[report.basis]}.",
        "",
        f"Built from {report.events_considered} events up to stream sequence "
        f"{report.last_stream_sequence}. Source digest `{report.source_digest}`: two auditors "
        "with the same digest looked at the same facts.",
        "",
        "## Goals",
        "",
    ]
    for goal in report.goals:
        lines += _md_goal(goal)
    policies = policy_rows(report.policy_changes)
    lines += ["## Scoring policy changes", ""]
    lines += _md_table(POLICY_HEAD, policies) if policies else ["None.", ""]
    late = _late_rows(report)
    lines += ["## Late or back-dated entries", ""]
    lines += _md_table(_LATE, late) if late else ["None."]
    return "\n".join(lines) + "\n"


# --- HTML -------------------------------------------------------------------------------------


def _html_table(head: list[str], rows: list[list[str]]) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    flagged = head[-1] == "flags"  # history and late tables end in flags: shade flagged rows
    body = "".join(
        ("<tr class='flagged'>" if flagged and row[-1] else "<tr>")
        + "".join(f"<td>{escape(c)}</td>" for c in row)
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{th}</tr>{body}</table>"


def _html_history(points: Sequence[ScorePoint]) -> str:
    return _html_table(_HISTORY, _history_rows(points)) if points else "<p>No entries.</p>"


def _html_key_result(kr: KeyResultAudit, report: AuditReport) -> str:
    title = f"KR {kr.key_result_id}: {_one_line(kr.title)}"
    chart = kr_chart_svg(
        kr.history,
        starts_on=report.cycle_starts_on,
        ends_on=report.cycle_ends_on,
        target_steps=target_steps(kr, report),
        baseline=kr.baseline,
        as_of=report.as_of,
        label=title,
    )
    adjustments = "".join(f"<li>{escape(_adjustment(a))}</li>" for a in kr.adjustments)
    return (
        f"<h3>{escape(title)}</h3><p>{escape(_kr_summary(kr))}</p>{chart}"
        + _html_history(kr.history)
        + (f"<p>Adjustments:</p><ul>{adjustments}</ul>" if adjustments else "")
    )


def _html_goal(goal: GoalAudit, report: AuditReport) -> str:
    parts = [
        f"<h2>{escape(_goal_heading(goal))} <span class='band {escape(goal.band or '')}'>"
        f"{escape(goal.band or 'unscored')}</span></h2><p>{escape(_goal_summary(goal))}</p>"
    ]
    if goal.goal_type == "smart_goal":
        # A SMART goal's report carries no metric: its target is read off the entries.
        target = [(cycle_start(report), goal.history[0].target_in_force)] if goal.history else []
        parts.append(
            kr_chart_svg(
                goal.history,
                starts_on=report.cycle_starts_on,
                ends_on=report.cycle_ends_on,
                target_steps=target,
                as_of=report.as_of,
                label=_goal_heading(goal),
            )
        )
        parts.append(_html_history(goal.history))
    parts += [_html_key_result(kr, report) for kr in goal.key_results]
    return "".join(parts)


def to_html(report: AuditReport) -> str:
    """The report as one self-contained HTML page with an SVG chart per KR and SMART goal."""
    e = escape
    title = f"Audit of {report.tenant_id}, cycle {report.cycle_id}"
    late = _late_rows(report)
    return "".join(
        [
            f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}"
            f"</title><style>{_CSS}</style></head><body>",
            f"<h1>{e(title)} ({report.cycle_starts_on} .. {report.cycle_ends_on})</h1>",
            f"<p>As of {e(report.as_of.isoformat())}, basis <b>{e(report.basis)}</b>: "
            f"{e(_BASIS[report.basis])}.</p>",
            f"<p>Built from {report.events_considered} events up to stream sequence "
            f"{report.last_stream_sequence}. Source digest <code>{e(report.source_digest)}"
            "</code>: two auditors with the same digest looked at the same facts.</p>",
            f"<p><small>{e(LEGEND)}</small></p>",
            *(_html_goal(goal, report) for goal in report.goals),
            "<h2>Scoring policy changes</h2>",
            _html_table(POLICY_HEAD, policy_rows(report.policy_changes))
            if report.policy_changes
            else "<p>None.</p>",
            "<h2>Late or back-dated entries</h2>",
            _html_table(_LATE, late) if late else "<p>None.</p>",
            "</body></html>",
        ]
    )
