"""A small inline SVG chart: a measure's values over the cycle against the target in force."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from html import escape
from typing import Any

from projections.audit.report import AuditReport, KeyResultAudit, ScorePoint

WIDTH, HEIGHT, PAD = 420, 160, 36
# Shown once on the page rather than in every chart, where it would not fit.
LEGEND = (
    "Charts: values in blue (hollow = late, grey = superseded), target in force in green, "
    "baseline as grey dashes, the as-of instant in orange."
)
VALUE, TARGET, BASELINE, AS_OF = "#2563eb", "#16a34a", "#999", "#f59e0b"


def _day(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=UTC)


def _g(value: float) -> str:
    return f"{value:g}"


def _dot(px: float, py: float, point: ScorePoint) -> str:
    # Late entries are hollow and superseded ones grey, so the eye finds them without a legend.
    fill = "#bbb" if point.superseded else "white" if point.late else VALUE
    flags = [f for f, on in (("late", point.late), ("superseded", point.superseded)) if on]
    tip = f"{_g(point.value)} at {point.applies_at.isoformat()}"
    tip += f" ({', '.join(flags)}, recorded {point.recorded_at.isoformat()})" if flags else ""
    return (
        f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{fill}" stroke="{VALUE}" '
        f'data-late="{str(point.late).lower()}"><title>{escape(tip)}</title></circle>'
    )


def kr_chart_svg(
    points: Sequence[ScorePoint],
    *,
    starts_on: date,
    ends_on: date,
    target_steps: Sequence[tuple[datetime, float]],
    baseline: float | None = None,
    as_of: datetime | None = None,
    label: str = "",
) -> str:
    """Values as a dotted line over the cycle, the target in force as a step line, the baseline."""
    start, end = _day(starts_on), _day(ends_on + timedelta(days=1))
    span = (end - start).total_seconds() or 1.0
    values = [p.value for p in points] + [t for _, t in target_steps]
    values += [] if baseline is None else [baseline]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if high == low:  # one distinct value: give the axis some height rather than divide by zero
        low, high = low - 1.0, high + 1.0

    def x(at: datetime) -> float:
        # Entries outside the cycle (carried-over goals) are pinned to its edges.
        share = min(1.0, max(0.0, (at - start).total_seconds() / span))
        return PAD + share * (WIDTH - 2 * PAD)

    def y(value: float) -> float:
        return HEIGHT - PAD - (value - low) / (high - low) * (HEIGHT - 2 * PAD)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" font-size="10">'
        f"<title>{escape(label or 'values against the target')}</title>",
        f'<rect x="{PAD}" y="{PAD}" width="{WIDTH - 2 * PAD}" height="{HEIGHT - 2 * PAD}" '
        'fill="none" stroke="#ddd"/>',
        f'<text x="{PAD}" y="{HEIGHT - PAD + 14}">{starts_on}</text>',
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - PAD + 14}" text-anchor="end">{ends_on}</text>',
        f'<text x="{PAD - 4}" y="{y(high) + 3:.1f}" text-anchor="end">{_g(high)}</text>',
        f'<text x="{PAD - 4}" y="{y(low) + 3:.1f}" text-anchor="end">{_g(low)}</text>',
    ]
    if baseline is not None:
        parts.append(
            f'<line class="baseline" x1="{PAD}" x2="{WIDTH - PAD}" y1="{y(baseline):.1f}" '
            f'y2="{y(baseline):.1f}" stroke="{BASELINE}" stroke-dasharray="2,3"/>'
        )
    if as_of is not None and start <= as_of <= end:
        parts.append(
            f'<line class="as-of" x1="{x(as_of):.1f}" x2="{x(as_of):.1f}" y1="{PAD}" '
            f'y2="{HEIGHT - PAD}" stroke="{AS_OF}" stroke-dasharray="4,2"/>'
        )
    if target_steps:
        parts.append(
            f'<polyline class="target" points="{_step_path(target_steps, end, x, y)}" '
            f'fill="none" stroke="{TARGET}" stroke-width="2"/>'
        )
    ordered = sorted(points, key=lambda p: (p.applies_at, p.stream_sequence))
    if ordered:
        line = " ".join(f"{x(p.applies_at):.1f},{y(p.value):.1f}" for p in ordered)
        parts.append(f'<polyline class="values" points="{line}" fill="none" stroke="{VALUE}"/>')
        parts += [_dot(x(p.applies_at), y(p.value), p) for p in ordered]
    else:
        mid_x, mid_y = WIDTH // 2, HEIGHT // 2
        parts.append(f'<text x="{mid_x}" y="{mid_y}" text-anchor="middle">no entries</text>')
    parts.append("</svg>")
    return "".join(parts)


def _step_path(
    steps: Sequence[tuple[datetime, float]],
    end: datetime,
    x: Callable[[datetime], float],
    y: Callable[[float], float],
) -> str:
    """The target held flat until the next change, then a vertical step to the new one."""
    ordered = sorted(steps, key=lambda s: s[0])
    corners: list[tuple[float, float]] = []
    for i, (at, target) in enumerate(ordered):
        if i:
            corners.append((x(at), y(ordered[i - 1][1])))
        corners.append((x(at), y(target)))
    corners.append((x(end), y(ordered[-1][1])))
    return " ".join(f"{px:.1f},{py:.1f}" for px, py in corners)


def target_of(terms: Mapping[str, Any]) -> float | None:
    """The target in a dump of KeyResultTerms, if it has a numeric one."""
    # The terms are a JSON dump of KeyResultTerms; read defensively so odd ones still render.
    metric = terms.get("metric")
    target = metric.get("target") if isinstance(metric, Mapping) else None
    return float(target) if isinstance(target, int | float) else None


def cycle_start(report: AuditReport) -> datetime:
    """The first instant of the report's cycle."""
    return datetime.combine(report.cycle_starts_on, time.min, tzinfo=UTC)


def target_steps(kr: KeyResultAudit, report: AuditReport) -> list[tuple[datetime, float]]:
    """The original target from the cycle's start, then each adjustment's new target."""
    start = cycle_start(report)
    steps = [(start, kr.original_target)]
    for a in kr.adjustments:
        new = target_of(a.after)
        # The step sits where the report's basis puts the change: business or system time;
        # an adjustment made before the cycle began counts from its start.
        at = a.occurred_at if report.basis == "occurred" else a.recorded_at
        if new is not None:
            steps.append((max(at, start), new))
    return steps
