"""A small inline SVG chart of one measure on a valid-time axis: its values, the target in
force as a step line, the baseline and the as-of instant (pure)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from html import escape
from typing import Any

from projections.audit.report import AuditReport, KeyResultAudit, ScorePoint
from projections.audit.text import amount

WIDTH, HEIGHT, TOP, BOTTOM, RIGHT = 560, 200, 16, 40, 16
CHAR_PX = 6.5  # width of one character of the 10px tick labels, rounded up
LEGEND = (
    "Charts run on valid time, the cycle's dates along the bottom. Values in blue, joined in "
    "the order they held (hollow = late or back-dated); a superseded value is a grey square, "
    "not joined. The target in force is the green step line, each step at its adjustment's "
    "valid time; the baseline is grey dashes; the as-of instant is the orange line."
)
VALUE, TARGET, BASELINE, AS_OF, GREY = "#2563eb", "#16a34a", "#999", "#f59e0b", "#9ca3af"


@dataclass(frozen=True)
class Scale:
    """Where an instant and a value land in the plot area."""

    start: datetime
    end: datetime
    low: float
    high: float
    left: float

    def x(self, at: datetime) -> float:
        """The x of ``at``; entries outside the cycle (carried-over goals) sit on its edges."""
        span = (self.end - self.start).total_seconds() or 1.0
        share = min(1.0, max(0.0, (at - self.start).total_seconds() / span))
        return self.left + share * (WIDTH - RIGHT - self.left)

    def y(self, value: float) -> float:
        """The y of ``value``."""
        return (
            HEIGHT - BOTTOM - (value - self.low) / (self.high - self.low) * (HEIGHT - TOP - BOTTOM)
        )


def _day(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=UTC)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round values spanning ``low``..``high``: steps of 1, 2 or 5 times a power of ten."""
    raw = (high - low) / max(1, count - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks, tick = [], first
    while tick < high + step * 0.999:
        ticks.append(round(tick, 10))
        tick += step
    return ticks


def _month_ticks(start: datetime, end: datetime) -> list[datetime]:
    ticks, at = [], start
    while at <= end:
        ticks.append(at)
        at = (at.replace(day=1) + timedelta(days=32)).replace(day=1)
    return ticks


def _dot(scale: Scale, point: ScorePoint, kind: str | None, unit: str | None) -> str:
    px, py = scale.x(point.valid_at), scale.y(point.value)
    flags = [
        f
        for f, on in (
            ("late", point.late),
            ("back-dated", point.back_dated),
            ("superseded", point.superseded),
        )
        if on
    ]
    tip = f"{amount(point.value, kind, unit)} valid {point.valid_at.isoformat()}"
    tip += f", recorded {point.recorded_at.isoformat()}"
    tip += f" ({', '.join(flags)})" if flags else ""
    data = f'data-valid-at="{point.valid_at.isoformat()}" data-flags="{" ".join(flags)}"'
    if point.superseded:  # drawn apart: a value the line never took
        return (
            f'<rect class="superseded" x="{px - 3.5:.1f}" y="{py - 3.5:.1f}" width="7" '
            f'height="7" fill="{GREY}" {data}><title>{escape(tip)}</title></rect>'
        )
    fill = "white" if point.late or point.back_dated else VALUE
    return (
        f'<circle class="value" cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{fill}" '
        f'stroke="{VALUE}" {data}><title>{escape(tip)}</title></circle>'
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
    kind: str | None = None,
    unit: str | None = None,
) -> str:
    """Values over the cycle's valid time, the target in force as steps, the baseline."""
    start, end = _day(starts_on), _day(ends_on + timedelta(days=1))
    values = [p.value for p in points] + [t for _, t in target_steps]
    values += [] if baseline is None else [baseline]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if high == low:  # one distinct value: give the axis some height rather than divide by zero
        low, high = low - 1.0, high + 1.0
    ticks = nice_ticks(low, high)
    labels = [amount(t, kind, unit) for t in ticks]
    left = 12 + CHAR_PX * max(len(t) for t in labels)  # room for the widest label: no clipping
    scale = Scale(start, end, ticks[0], ticks[-1], left)
    bottom = HEIGHT - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" font-size="10" '
        f'data-plot-left="{left:.1f}" data-plot-right="{WIDTH - RIGHT}" '
        f'data-axis-start="{start.isoformat()}" data-axis-end="{end.isoformat()}">'
        f"<title>{escape(label or 'values against the target')}</title>",
        f'<rect x="{left:.1f}" y="{TOP}" width="{WIDTH - RIGHT - left:.1f}" '
        f'height="{bottom - TOP}" fill="none" stroke="#ddd"/>',
    ]
    for tick, text in zip(ticks, labels, strict=True):
        ty = scale.y(tick)
        parts.append(
            f'<line x1="{left:.1f}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}" '
            f'stroke="#f0f0f0"/><text class="y-tick" x="{left - 4:.1f}" y="{ty + 3:.1f}" '
            f'text-anchor="end">{escape(text)}</text>'
        )
    for at in _month_ticks(start, end):
        tx = scale.x(at)
        anchor = "start" if at == start else "end" if at == end else "middle"
        parts.append(
            f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{bottom}" y2="{bottom + 4}" stroke="#999"/>'
            f'<text class="x-tick" x="{tx:.1f}" y="{bottom + 14}" text-anchor="{anchor}">'
            f"{at:%b} {at.day}</text>"
        )
    parts.append(
        f'<text x="{(left + WIDTH - RIGHT) / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle" '
        'fill="#666">valid time (when the value held)</text>'
    )
    if baseline is not None:
        by = scale.y(baseline)
        parts.append(
            f'<line class="baseline" x1="{left:.1f}" x2="{WIDTH - RIGHT}" y1="{by:.1f}" '
            f'y2="{by:.1f}" stroke="{BASELINE}" stroke-dasharray="2,3"/>'
        )
    if as_of is not None and start <= as_of <= end:
        ax = scale.x(as_of)
        parts.append(
            f'<line class="as-of" x1="{ax:.1f}" x2="{ax:.1f}" y1="{TOP}" y2="{bottom}" '
            f'stroke="{AS_OF}" stroke-dasharray="4,2"/>'
        )
    if target_steps:
        parts.append(
            f'<polyline class="target" points="{_step_path(target_steps, end, scale)}" '
            f'fill="none" stroke="{TARGET}" stroke-width="2"/>'
        )
    ordered = sorted(points, key=lambda p: (p.valid_at, p.stream_sequence))
    joined = [p for p in ordered if not p.superseded]
    if len(joined) > 1:
        line = " ".join(f"{scale.x(p.valid_at):.1f},{scale.y(p.value):.1f}" for p in joined)
        parts.append(f'<polyline class="values" points="{line}" fill="none" stroke="{VALUE}"/>')
    parts += [_dot(scale, p, kind, unit) for p in ordered]
    if not ordered:
        parts.append(
            f'<text x="{(left + WIDTH) / 2:.1f}" y="{HEIGHT // 2}" text-anchor="middle">'
            "no entries</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _step_path(steps: Sequence[tuple[datetime, float]], end: datetime, scale: Scale) -> str:
    """The target held flat until the next change, then a vertical step to the new one."""
    ordered = sorted(steps, key=lambda s: s[0])
    x: Callable[[datetime], float] = scale.x
    corners: list[tuple[float, float]] = []
    for i, (at, target) in enumerate(ordered):
        if i:
            corners.append((x(at), scale.y(ordered[i - 1][1])))
        corners.append((x(at), scale.y(target)))
    corners.append((x(end), scale.y(ordered[-1][1])))
    return " ".join(f"{px:.1f},{py:.1f}" for px, py in corners)


def target_of(terms: Mapping[str, Any]) -> float | None:
    """The target in a dump of KeyResultTerms, if it has a numeric one."""
    # The terms are a JSON dump of KeyResultTerms; read defensively so odd ones still render.
    metric = terms.get("metric")
    target = metric.get("target") if isinstance(metric, Mapping) else None
    return float(target) if isinstance(target, int | float) else None


def cycle_start(report: AuditReport) -> datetime:
    """The first instant of the report's cycle."""
    return _day(report.cycle_starts_on)


def target_steps(kr: KeyResultAudit, report: AuditReport) -> list[tuple[datetime, float]]:
    """The original target from the cycle's start, then each adjustment's new target at the
    adjustment's valid time (one made before the cycle began counts from its start)."""
    start = cycle_start(report)
    steps = [(start, kr.original_target)]
    for a in kr.adjustments:
        new = target_of(a.after)
        if new is not None:
            steps.append((max(a.occurred_at, start), new))
    return steps
