"""The audit report as people read it: facts present, text escaped, a chart per measure."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

from projections.audit.render import to_html, to_markdown
from projections.audit.report import AuditReport, GoalAudit, KeyResultAudit, ScorePoint
from projections.read_models.adjustments import AdjustmentEntry


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, tzinfo=UTC)


NOV_1 = at(11, 1)


def point(
    value: float,
    target: float,
    score: float,
    *,
    late: bool = False,
    superseded: bool = False,
    applies: datetime = NOV_1,
) -> ScorePoint:
    return ScorePoint(
        stream_sequence=1,
        kind="check_in",
        applies_at=applies,
        occurred_at=applies,
        recorded_at=at(11, 20) if late else applies,
        actor="ana",
        value=value,
        confidence=0.5,
        target_in_force=target,
        score=score,
        late=late,
        superseded=superseded,
    )


ADJUSTED = KeyResultAudit(
    key_result_id="arr",
    title="ARR",
    unit="EUR",
    baseline=100,
    target=175,
    original_target=200,
    final_value=160,
    final_score=0.8,
    final_score_under_original_target=0.6,
    history=(point(150, 200, 0.5), point(160, 175, 0.8, late=True, applies=at(11, 10))),
    adjustments=(
        AdjustmentEntry(
            stream_sequence=3,
            occurred_at=at(11, 5),
            recorded_at=at(11, 5),
            actor="cfo",
            reason="a market closed",
            mid_cycle=True,
            changed_fields=("metric.target",),
            before={"metric": {"target": 200}},
            after={"metric": {"target": 175}},
            value_at_adjustment=150,
            score_under_original=0.5,
            score_under_revised=0.6667,
        ),
    ),
)
EMPTY = KeyResultAudit(
    key_result_id="nps",
    title="NPS",
    unit="",
    baseline=30,
    target=50,
    original_target=50,
    final_value=None,
    final_score=0.0,
    final_score_under_original_target=0.0,
    history=(),
    adjustments=(),
)
REPORT = AuditReport(
    tenant_id="acme",
    cycle_id="2026-q4",
    cycle_starts_on=date(2026, 10, 1),
    cycle_ends_on=date(2026, 12, 31),
    as_of=at(11, 22),
    basis="occurred",
    events_considered=9,
    last_stream_sequence=42,
    source_digest="ab" * 32,
    goals=(
        GoalAudit(
            goal_type="objective",
            goal_id="co",
            title="Grow <script>alert(1)</script>",
            level="company",
            owner="ceo",
            status="active",
            expectation=1.0,
            final_score=0.4,
            band="yellow",
            key_results=(ADJUSTED, EMPTY),
        ),
        GoalAudit(
            goal_type="smart_goal",
            goal_id="guides",
            title="Publish three guides",
            level="individual",
            owner="ana",
            status="active",
            expectation=1.0,
            final_score=1 / 3,
            band="red",
            deadline=date(2026, 12, 15),
            outcome="pending",
            history=(point(1, 3, 1 / 3),),
        ),
    ),
)


def svgs(page: str) -> list[ET.Element]:
    """Every chart on the page, parsed: a malformed one fails here."""
    found = re.findall(r"<svg.*?</svg>", page, flags=re.S)
    return [ET.fromstring(svg) for svg in found]


def target_corners(svg: ET.Element) -> list[tuple[float, float]]:
    line = next(e for e in svg.iter() if e.get("class") == "target")
    return [(float(x), float(y)) for x, y in (c.split(",") for c in line.get("points", "").split())]


def test_markdown_carries_the_facts_an_auditor_compares() -> None:
    text = to_markdown(REPORT)

    assert "ab" * 32 in text
    assert "(2026-10-01 .. 2026-12-31)" in text
    assert "basis **occurred**: the report shows what had happened by then" in text
    assert "9 events up to stream sequence 42" in text
    assert "Why: a market closed." in text
    assert "target 200 → 175" in text
    assert "under original 0.50, under revised 0.67" in text
    assert "0.80 under the target in force (175) vs 0.60 under the original target (200)" in text
    assert "| 2026-11-10T09:00:00+00:00 | 2026-11-20T09:00:00+00:00 |" in text
    assert "| 0.80 | late |" in text  # the late check-in's row in the KR's table
    assert "| co / arr | check_in | 2026-11-10T09:00:00+00:00" in text  # and in the late section
    assert "33% complete, deadline 2026-12-15, outcome pending" in text
    assert "No entries." in text  # the KR without check-ins still renders


def test_markdown_says_so_when_nothing_came_late() -> None:
    on_time = REPORT.model_copy(update={"goals": (REPORT.goals[1],), "basis": "recorded"})

    text = to_markdown(on_time)

    assert "what the system had been told by then" in text
    assert text.rstrip().endswith("## Late or back-dated entries\n\nNone.")


def test_html_escapes_text_and_draws_a_chart_per_measure() -> None:
    page = to_html(REPORT)

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    assert page.count("<svg") == 3  # two KRs and the SMART goal
    assert len(svgs(page)) == 3
    assert 'fill="white"' in page  # the late check-in is drawn hollow
    assert "a market closed" in page
    assert "target 200 → 175" in page
    assert "ab" * 32 in page
    assert "http" not in page.replace("http://www.w3.org/2000/svg", "")  # nothing fetched


def test_a_mid_cycle_adjustment_is_a_step_in_the_target_line() -> None:
    adjusted, empty, _smart = svgs(to_html(REPORT))

    corners = target_corners(adjusted)
    steps = [(a, b) for a, b in itertools.pairwise(corners) if a[0] == b[0] and a[1] != b[1]]
    assert len(steps) == 1
    assert len(target_corners(empty)) == 2  # never adjusted: flat from start to end
    assert "no entries" in ET.tostring(empty, encoding="unicode")


def test_the_step_sits_in_the_time_the_basis_names() -> None:
    (kr,) = [k for k in REPORT.goals[0].key_results if k.adjustments]
    told_late = kr.adjustments[0].model_copy(update={"recorded_at": at(12, 1)})
    late_kr = kr.model_copy(update={"adjustments": (told_late,)})
    goal = REPORT.goals[0].model_copy(update={"key_results": (late_kr,)})

    def step_x(basis: str) -> float:
        report = REPORT.model_copy(update={"goals": (goal,), "basis": basis})
        corners = target_corners(svgs(to_html(report))[0])
        return next(a[0] for a, b in itertools.pairwise(corners) if a[0] == b[0])

    assert step_x("occurred") < step_x("recorded")
    assert "| co / arr | adjustment |" in to_markdown(REPORT.model_copy(update={"goals": (goal,)}))
