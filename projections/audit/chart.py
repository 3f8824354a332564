"""A small inline SVG chart: a measure's values over the cycle against the target line."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from projections.audit.report import ScorePoint

WIDTH, HEIGHT, PAD = 360, 140, 28


def _day(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=UTC)


def kr_chart_svg(
    points: Sequence[ScorePoint],
    baseline: float,
    original_target: float,
    starts_on: date,
    ends_on: date,
) -> str:
    """Values as dots on a line (late ones hollow), the target in force as a step line."""
    start, end = _day(starts_on), _day(ends_on + timedelta(days=1))
    span = (end - start).total_seconds() or 1.0
    values = [
        baseline,
        original_target,
        *(p.value for p in points),
        *(p.target_in_force for p in points),
    ]
    low, high = min(values), max(values)
    if high == low:
        high = low + 1.0

    def x(at: datetime) -> float:
        share = min(1.0, max(0.0, (at - start).total_seconds() / span))
        return PAD + share * (WIDTH - 2 * PAD)

    def y(value: float) -> float:
        return HEIGHT - PAD - (value - low) / (high - low) * (HEIGHT - 2 * PAD)

    # The target in force: a step at each entry whose target differs from the one before.
    steps = [(x(start), y(original_target))]
    target = original_target
    for p in sorted(points, key=lambda p: p.recorded_at):
        if p.target_in_force != target:
            steps += [(x(p.recorded_at), y(target)), (x(p.recorded_at), y(p.target_in_force))]
            target = p.target_in_force
    steps.append((x(end), y(target)))
    ordered = sorted(points, key=lambda p: p.applies_at)
    line = " ".join(f"{x(p.applies_at):.1f},{y(p.value):.1f}" for p in ordered)
    dots = "".join(
        f'<circle cx="{x(p.applies_at):.1f}" cy="{y(p.value):.1f}" r="3" '
        f'fill="{"white" if p.late else "#2563eb"}" stroke="#2563eb"/>'
        for p in ordered
    )
    target_path = " ".join(f"{px:.1f},{py:.1f}" for px, py in steps)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="values against the target">'
        f'<rect x="{PAD}" y="{PAD}" width="{WIDTH - 2 * PAD}" height="{HEIGHT - 2 * PAD}" '
        f'fill="none" stroke="#ddd"/>'
        f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{y(baseline):.1f}" y2="{y(baseline):.1f}" '
        f'stroke="#999" stroke-dasharray="2,3"/>'
        f'<polyline points="{target_path}" fill="none" stroke="#16a34a" stroke-width="2"/>'
        f'<polyline points="{line}" fill="none" stroke="#2563eb"/>{dots}'
        f'<text x="{PAD}" y="{PAD - 8}" font-size="10">{starts_on} .. {ends_on}: '
        f"values (blue, hollow = late), target in force (green), baseline (grey)</text>"
        f"</svg>"
    )
