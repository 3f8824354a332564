"""The audit report as people read it: summary first, cascade, legend, escaped text, and
charts on one valid-time axis whose geometry matches the dates."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import pytest

from projections.audit.render import SECTIONS, to_html, to_markdown
from projections.audit.report import (
    AuditReport,
    CarryOver,
    Closure,
    GoalAudit,
    KeyResultAudit,
    ScorePoint,
)
from projections.audit.sections.legend import TERMS
from projections.read_models.adjustments import AdjustmentEntry
from projections.views import CascadeNode, ForecastView, GoalScore


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, tzinfo=UTC)


def point(value: float, target: float, valid: datetime, **flags: bool) -> ScorePoint:
    return ScorePoint(
        stream_sequence=1,
        kind="check_in",
        valid_at=valid,
        occurred_at=at(11, 19) if flags.get("back_dated") else valid,
        recorded_at=at(11, 19) if flags else valid,
        actor="ana",
        value=value,
        confidence=0.5,
        target_in_force=target,
        score=(value - 1_000_000) / (target - 1_000_000),
        late=flags.get("late", False),
        back_dated=flags.get("back_dated", False),
        superseded=flags.get("superseded", False),
    )


REPORT_OF_CRM = point(1_150_000, 1_600_000, at(11, 3), late=True, superseded=True).model_copy(
    update={"kind": "progress", "source": "crm", "idempotency_key": "crm-77", "actor": "crm"}
)
ARR_FORECAST = ForecastView(
    at=datetime(2027, 1, 1, tzinfo=UTC),
    value=1_275_000,
    value_low=1_210_000,
    value_high=1_340_000,
    score=0.55,
    low=0.42,
    high=0.68,
    observations=3,
    method="least_squares",
    sentence="likely to land at 0.55 (0.42\u20130.68)",
)
ARR = KeyResultAudit(
    key_result_id="arr",
    title="ARR",
    metric_kind="currency",
    unit="EUR",
    baseline=1_000_000,
    target=1_500_000,
    original_target=1_600_000,
    final_value=1_250_000,
    final_score=0.5,
    final_score_under_original_target=0.4167,
    history=(
        point(1_100_000, 1_600_000, at(10, 8)),
        point(1_250_000, 1_500_000, at(11, 9), back_dated=True),
        REPORT_OF_CRM,
    ),
    forecast=ARR_FORECAST,
    adjustments=(
        AdjustmentEntry(
            stream_sequence=3,
            occurred_at=at(10, 22),
            recorded_at=at(10, 22),
            actor="cfo",
            reason="a market closed",
            mid_cycle=True,
            changed_fields=("metric.target",),
            before={"metric": {"target": 1_600_000}},
            after={"metric": {"target": 1_500_000}},
            value_at_adjustment=1_100_000,
            score_under_original=0.1667,
            score_under_revised=0.2,
        ),
    ),
)
NPS = ARR.model_copy(
    update={
        "key_result_id": "nps",
        "title": "NPS",
        "metric_kind": "numeric",
        "unit": "",
        "baseline": 30,
        "target": 50,
        "original_target": 50,
        "final_value": None,
        "history": (),
        "adjustments": (),
        "forecast": None,
    }
)


def goal(goal_id: str, **more: object) -> GoalAudit:
    fields: dict[str, object] = {
        "goal_type": "objective",
        "goal_id": goal_id,
        "title": "Grow <script>alert(1)</script>",
        "level": "company",
        "owner": "ceo",
        "cycle_id": "2026-q4",
        "status": "active",
        "expectation": 1.0,
        "final_score": 0.4,
        "met": False,
        "band": "yellow",
        "pace": "at_risk",
        "expected_progress": 0.5,
        "confidence": 0.7,
    }
    return GoalAudit.model_validate(fields | more)


SMART = goal(
    "guides",
    goal_type="smart_goal",
    title="Publish three guides",
    level="individual",
    final_score=1 / 3,
    deadline=date(2026, 12, 15),
    outcome="pending",
    metric_kind="numeric",
    unit="guides",
    baseline=0,
    target=3,
    history=(point(1, 3, at(11, 14)).model_copy(update={"score": 1 / 3}),),
    closed=Closure(
        closed_at=at(12, 3), recorded_at=at(12, 3), actor="ana", grade=0.7, note="two of three live"
    ),
)
TEAM = goal(
    "team",
    title="Onboard",
    level="team",
    cycle_id="2027-q1",
    carried_over=CarryOver(
        from_cycle="2026-q4",
        to_cycle="2027-q1",
        valid_at=at(12, 10),
        recorded_at=at(12, 10),
        actor="lead",
        reason="work continues",
    ),
)


def score_of(g: GoalAudit) -> GoalScore:
    return GoalScore.model_validate(
        g.model_dump()
        | {
            "tenant_id": "acme",
            "cycle_starts_on": date(2026, 10, 1),
            "cycle_ends_on": date(2026, 12, 31),
            "commitment": None,
            "version": 1,
            "score": g.final_score,
            "meets_expectation": g.met,
            "percent_complete": None,
            "as_of": at(12, 15),
            "key_results": (),
        }
    )


REPORT = AuditReport(
    tenant_id="acme",
    cycle_id="2026-q4",
    cycle_starts_on=date(2026, 10, 1),
    cycle_ends_on=date(2026, 12, 31),
    as_of=at(11, 22),
    known_at=at(12, 1),
    events_considered=9,
    last_stream_sequence=42,
    source_digest="ab" * 32,
    goals=(goal("co", key_results=(ARR, NPS)), TEAM, SMART),
    cascade=(
        CascadeNode(
            goal=score_of(goal("co")),
            aligned_to_key_result=None,
            rolled_up_score=0.45,
            children=(
                CascadeNode(goal=score_of(TEAM), aligned_to_key_result="arr", rolled_up_score=0.5),
            ),
        ),
    ),
)


def svgs(page: str) -> list[ET.Element]:
    """Every chart on the page, parsed: a malformed one fails here."""
    return [ET.fromstring(svg) for svg in re.findall(r"<svg.*?</svg>", page, flags=re.S)]


def of_class(svg: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in svg.iter() if e.get("class") == name]


def corners(line: ET.Element) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in (c.split(",") for c in line.get("points", "").split())]


def x_of(svg: ET.Element, instant: datetime) -> float:
    """Where the chart's own declared axis puts ``instant``."""
    left, right = float(svg.get("data-plot-left", "")), float(svg.get("data-plot-right", ""))
    start = datetime.fromisoformat(svg.get("data-axis-start", ""))
    end = datetime.fromisoformat(svg.get("data-axis-end", ""))
    return left + (instant - start) / (end - start) * (right - left)


def test_the_summary_comes_first_then_the_cascade() -> None:
    text = to_markdown(REPORT)

    order = [text.index(f"## {s}") for s in ("Summary", "Cascade", "Legend", "Goals")]
    assert order == sorted(order)
    assert (
        "| objective/co | Grow <script>alert(1)</script> | ceo | company | 0.40 | 1 | below |"
    ) in text
    assert "carried over to 2027-q1" in text
    assert "- company objective/co Grow <script>alert(1)</script>: own 0.40, rolled-up 0.45" in text
    assert (
        "  - team objective/team Onboard: own 0.40, rolled-up 0.50, pace at_risk (serves KR arr)"
    ) in text


def test_the_opening_names_both_axes_and_the_digest() -> None:
    text = to_markdown(REPORT)

    assert "stood on 2026-11-22 09:00Z (valid time)" in text
    assert "knew them on 2026-12-01 09:00Z (transaction time)" in text
    assert f"`{'ab' * 32}`" in text
    assert "9 events up to stream sequence 42" in text


def test_each_flag_in_the_history_is_defined_in_the_legend() -> None:
    text = to_markdown(REPORT)
    defined = {term for term, _ in TERMS}

    assert {"late", "back-dated", "superseded", "valid time", "transaction time"} <= defined
    assert (
        "| 2026-11-09 09:00Z | 2026-11-19 09:00Z | check-in | ana |  |  | "
        "€1,250,000 | €1,500,000 | 0.50 | back-dated |"
    ) in text
    assert "| progress | crm | crm | crm-77 | €1,150,000 | €1,600,000 |" in text
    assert "| late, superseded |" in text


def test_adjustments_carry_overs_and_closes_have_their_sections() -> None:
    text = to_markdown(REPORT)

    assert (
        "| co / arr | 2026-10-22 09:00Z | 2026-10-22 09:00Z | cfo | "
        "metric.target | 1,600,000 → 1,500,000 | a market closed |"
    ) in text
    assert "| objective/team | 2026-q4 | 2027-q1 | 2026-12-10 09:00Z |" in text
    assert (
        "| smart_goal/guides | 2026-12-03 09:00Z | 2026-12-03 09:00Z | ana | "
        "0.70 | two of three live |"
    ) in text
    assert "33% complete (baseline 0 guides, target 3 guides), deadline 2026-12-15" in text
    assert "No entries." in text  # the KR without check-ins still renders


def test_each_key_result_has_its_forecast_or_says_why_not() -> None:
    text = to_markdown(REPORT)
    page = to_html(REPORT)

    assert text.index("## Goals") < text.index("## Forecasts") < text.index("## Adjustments")
    assert (
        "| co / arr: ARR | 3 | €1,275,000 | €1,210,000 \u2013 €1,340,000 | 2027-01-01 00:00Z | "
        "likely to land at 0.55 (0.42\u20130.68) |"
    ) in text
    too_few = "no forecast: entries at fewer than two instants"
    assert f"| co / nps: NPS | 0 | - | - | - | {too_few} |" in text
    assert "<h2>Forecasts</h2>" in page
    assert "<td>likely to land at 0.55 (0.42\u20130.68)</td>" in page
    assert REPORT.model_dump(mode="json")["goals"][0]["key_results"][0]["forecast"]["low"] == 0.42


def test_html_escapes_text_and_draws_a_chart_per_measure() -> None:
    page = to_html(REPORT)

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    assert len(svgs(page)) == 3  # two KRs and the SMART goal
    assert "http" not in page.replace("http://www.w3.org/2000/svg", "")  # nothing fetched
    assert [s.title for s in SECTIONS][:2] == ["Summary", "Cascade"]
    assert page.index("<h2>Summary</h2>") < page.index("<h2>Cascade</h2>") < page.index("<svg")


def test_the_target_steps_at_the_adjustments_valid_time() -> None:
    arr, nps, _ = svgs(to_html(REPORT))

    [line] = of_class(arr, "target")
    steps = [a[0] for a, b in itertools.pairwise(corners(line)) if a[0] == b[0] and a[1] != b[1]]
    assert steps == [pytest.approx(x_of(arr, at(10, 22)), abs=0.1)]
    assert len(corners(of_class(nps, "target")[0])) == 2  # never adjusted: flat to the end
    assert "no entries" in ET.tostring(nps, encoding="unicode")


def test_values_sit_at_their_valid_time_and_a_superseded_one_is_drawn_apart() -> None:
    arr = svgs(to_html(REPORT))[0]

    dots = of_class(arr, "value")
    assert [float(d.get("cx", "")) for d in dots] == [
        pytest.approx(x_of(arr, p.valid_at), abs=0.1) for p in ARR.history[:2]
    ]
    assert dots[1].get("fill") == "white"  # back-dated: hollow
    [line] = of_class(arr, "values")
    assert len(corners(line)) == 2  # the superseded report is not joined in
    [apart] = of_class(arr, "superseded")
    assert apart.tag.endswith("rect")
    assert float(apart.get("x", "")) + 3.5 == pytest.approx(x_of(arr, at(11, 3)), abs=0.1)


def test_ticks_are_readable_and_fit_the_chart() -> None:
    arr = svgs(to_html(REPORT))[0]

    labels = [t.text or "" for t in of_class(arr, "y-tick")]
    assert "€1,600,000" in labels
    assert all(re.fullmatch(r"€\d{1,3}(,\d{3})*", label) for label in labels)
    left = float(arr.get("data-plot-left", ""))
    assert left - 4 >= 6.5 * max(map(len, labels))  # the widest label ends inside the chart
    months = [t.text for t in of_class(arr, "x-tick")]
    assert months == ["Oct 1", "Nov 1", "Dec 1", "Jan 1"]
    assert "valid time" in ET.tostring(arr, encoding="unicode")


def test_a_smart_goal_chart_has_its_baseline() -> None:
    smart = svgs(to_html(REPORT))[2]

    [baseline] = of_class(smart, "baseline")
    [line] = of_class(smart, "target")
    assert float(baseline.get("y1", "")) > corners(line)[0][1]  # baseline 0 below target 3
