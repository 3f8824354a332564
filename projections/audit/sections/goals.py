"""Each goal in turn: its state as of the instant, and per measure a chart and the history
of its check-ins and integration reports on both time axes."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from projections.audit.chart import cycle_start, kr_chart_svg, target_steps
from projections.audit.report import AuditReport, GoalAudit, KeyResultAudit, ScorePoint
from projections.audit.sections import Section
from projections.audit.text import amount, html_table, instant, md_table, one_line, score

HISTORY = [
    "valid time",
    "transaction time",
    "kind",
    "actor",
    "source",
    "idempotency key",
    "value",
    "target in force",
    "score",
    "flags",
]


def flags(p: ScorePoint) -> str:
    """The entry's flags, as the legend names them."""
    named = (("late", p.late), ("back-dated", p.back_dated), ("superseded", p.superseded))
    return ", ".join(f for f, on in named if on)


def history_rows(
    points: Sequence[ScorePoint], kind: str | None, unit: str | None
) -> list[list[str]]:
    """One row per entry, in the order the service recorded them."""
    return [
        [
            instant(p.valid_at),
            instant(p.recorded_at),
            p.kind.replace("_", "-"),
            p.actor,
            p.source or "",
            p.idempotency_key or "",
            amount(p.value, kind, unit),
            amount(p.target_in_force, kind, unit),
            score(p.score),
            flags(p),
        ]
        for p in points
    ]


def kr_summary(kr: KeyResultAudit) -> str:
    """A KR's terms and score in a sentence."""

    def a(value: float | None) -> str:
        return amount(value, kr.metric_kind, kr.unit)

    return (
        f"Baseline {a(kr.baseline)}, value {a(kr.final_value)}. Score "
        f"{score(kr.final_score)} under the target in force ({a(kr.target)}) vs "
        f"{score(kr.final_score_under_original_target)} under the original target "
        f"({a(kr.original_target)})."
    )


def goal_summary(goal: GoalAudit) -> str:
    """A goal's state in a sentence."""
    text = (
        f"Level {goal.level}, owner {goal.owner}, status {goal.status}. Score "
        f"{score(goal.final_score)} against an expectation of {goal.expectation:g} "
        f"({'met' if goal.met else 'below'}): band {goal.band or '-'}, pace {goal.pace or '-'}, "
        f"confidence {score(goal.confidence)}."
    )
    if goal.goal_type == "smart_goal":
        done = "-" if goal.final_score is None else f"{goal.final_score * 100:.0f}%"
        baseline = amount(goal.baseline, goal.metric_kind, goal.unit)
        target = amount(goal.target, goal.metric_kind, goal.unit)
        text += (
            f" {done} complete (baseline {baseline}, target {target}), "
            f"deadline {goal.deadline or '-'}, outcome {goal.outcome or '-'}."
        )
    return text


def heading(goal: GoalAudit) -> str:
    """A goal's heading."""
    kind = "SMART goal" if goal.goal_type == "smart_goal" else "Objective"
    return f"{kind} {goal.goal_id}: {one_line(goal.title)}"


def _md_history(points: Sequence[ScorePoint], kind: str | None, unit: str | None) -> list[str]:
    return md_table(HISTORY, history_rows(points, kind, unit)) if points else ["No entries."]


def _markdown(report: AuditReport) -> list[str]:
    lines: list[str] = []
    for goal in report.goals:
        lines += [f"### {heading(goal)}", "", goal_summary(goal), ""]
        if goal.goal_type == "smart_goal":
            lines += [*_md_history(goal.history, goal.metric_kind, goal.unit), ""]
        for kr in goal.key_results:
            lines += [f"#### KR {kr.key_result_id}: {one_line(kr.title)}", "", kr_summary(kr), ""]
            lines += [*_md_history(kr.history, kr.metric_kind, kr.unit), ""]
    return lines


def _html_history(points: Sequence[ScorePoint], kind: str | None, unit: str | None) -> str:
    if not points:
        return "<p>No entries.</p>"
    return html_table(HISTORY, history_rows(points, kind, unit), "history")


def _html_key_result(kr: KeyResultAudit, report: AuditReport) -> str:
    title = f"KR {kr.key_result_id}: {one_line(kr.title)}"
    chart = kr_chart_svg(
        kr.history,
        starts_on=report.cycle_starts_on,
        ends_on=report.cycle_ends_on,
        target_steps=target_steps(kr, report),
        baseline=kr.baseline,
        as_of=report.as_of,
        label=title,
        kind=kr.metric_kind,
        unit=kr.unit,
    )
    return f"<h4>{escape(title)}</h4><p>{escape(kr_summary(kr))}</p>{chart}" + _html_history(
        kr.history, kr.metric_kind, kr.unit
    )


def _html_smart(goal: GoalAudit, report: AuditReport) -> str:
    steps = [] if goal.target is None else [(cycle_start(report), goal.target)]
    chart = kr_chart_svg(
        goal.history,
        starts_on=report.cycle_starts_on,
        ends_on=report.cycle_ends_on,
        target_steps=steps,
        baseline=goal.baseline,
        as_of=report.as_of,
        label=heading(goal),
        kind=goal.metric_kind,
        unit=goal.unit,
    )
    return chart + _html_history(goal.history, goal.metric_kind, goal.unit)


def _html(report: AuditReport) -> str:
    parts = []
    for goal in report.goals:
        parts.append(
            f"<h3 id='{escape(goal.goal_type)}-{escape(goal.goal_id)}'>{escape(heading(goal))} "
            f"<span class='band {escape(goal.band or '')}'>{escape(goal.band or '-')}</span></h3>"
            f"<p>{escape(goal_summary(goal))}</p>"
        )
        if goal.goal_type == "smart_goal":
            parts.append(_html_smart(goal, report))
        parts += [_html_key_result(kr, report) for kr in goal.key_results]
    return "".join(parts)


SECTION = Section("Goals", _markdown, _html)
