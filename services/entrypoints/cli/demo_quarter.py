"""The demo's scripted quarter: each request with the business time it is sent at."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple

from events.values import Cycle


def _kr(title: str, kind: str, baseline: float, target: float, **metric: Any) -> dict[str, Any]:
    return {
        "title": title,
        "weight": metric.pop("weight", 1.0),
        "metric": {"kind": kind, "baseline": baseline, "target": target, **metric},
    }


Step = tuple[str, str, dict[str, Any]]  # label, command name, body (meta: its business time)
# The day of the cycle each step's business time falls on (meta.now); unnamed steps: day 2.
# Spread over the quarter, so an auditor's "as of" mid-quarter finds a story to tell.
BUSINESS_DAY = {
    "team objective": 3,
    "team KR activation": 3,
    "activate team objective (1 KR)": 3,
    "align team objective to company KR arr": 4,
    "vague SMART goal": 5,
    "SMART goal serving team KR": 5,
    "check-in company KR arr": 14,
    "check-in company KR nps": 21,
    "check-in team KR activation": 28,
    "check-in SMART goal": 30,
    "mid-quarter adjustment, no reason": 35,
    "mid-quarter adjustment with reason": 35,
    "back-dated check-in company KR nps": 48,
}


class DemoGoals(NamedTuple):
    """The ids of the demo's goals in one cycle."""

    company: str
    team: str
    smart: str

    def refs(self) -> list[tuple[str, str]]:
        """(goal type, goal id) of each goal the demo creates."""
        return [("objective", self.company), ("objective", self.team), ("smart_goal", self.smart)]


def demo_goals(cycle: Cycle) -> DemoGoals:
    """The demo's goals in ``cycle``: named after it, so every quarter gets its own."""
    return DemoGoals(
        *(f"{name}-{cycle.id}" for name in ("company-growth", "team-onboarding", "guides-ana"))
    )


def business_time(cycle: Cycle, day: int, now: datetime) -> datetime:
    """The cycle's ``day`` (1 = its first), at 09:00 UTC, or today's start if that is later
    than now: a demo run early in a quarter sends nothing dated in the future."""
    at = cycle.starts_at + timedelta(days=day - 1, hours=9)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return at if at <= now else max(cycle.starts_at, today)


def quarter_steps(cycle: Cycle, now: datetime) -> list[Step]:
    """The demo's requests, in order; some are meant to be refused."""
    company, team, smart = demo_goals(cycle)
    on_company = {"goal_type": "objective", "goal_id": company}
    on_team = {"goal_type": "objective", "goal_id": team}
    quarter = cycle.model_dump(mode="json")
    jira = {
        **on_team,
        "key_result_id": "activation",
        "source": "jira",
        "idempotency_key": "JIRA-4711",
        "value": 31,
        "observed_at": business_time(cycle, 31, now).isoformat(),
        "meta": {"actor": "integration:jira"},
    }
    nps_target_45 = {
        "objective_id": company,
        "key_result_id": "nps",
        "metric": {"kind": "numeric", "baseline": 30, "target": 45},
    }
    steps: list[Step] = [
        (
            "company objective",
            "create_objective",
            {
                "objective_id": company,
                "title": "Become the default tool for goal-setting teams",
                "level": "company",
                "owner": "ceo",
                "cycle": quarter,
                "commitment": "aspirational",
            },
        ),
        (
            "company KR arr",
            "add_key_result",
            {
                "objective_id": company,
                "key_result_id": "arr",
                "terms": _kr("Grow ARR", "currency", 1_000_000, 1_500_000, unit="EUR", weight=2.0),
            },
        ),
        (
            "company KR nps",
            "add_key_result",
            {
                "objective_id": company,
                "key_result_id": "nps",
                "terms": _kr("Raise NPS", "numeric", 30, 50),
            },
        ),
        (
            "company KR churn",
            "add_key_result",
            {
                "objective_id": company,
                "key_result_id": "churn",
                "terms": _kr("Cut monthly churn", "percentage", 5, 3, direction="decrease"),
            },
        ),
        ("activate company objective", "activate_objective", {"objective_id": company}),
        (
            "team objective",
            "create_objective",
            {
                "objective_id": team,
                "title": "Make onboarding self-serve",
                "level": "team",
                "owner": "team-growth",
                "cycle": quarter,
            },
        ),
        (
            "team KR activation",
            "add_key_result",
            {
                "objective_id": team,
                "key_result_id": "activation",
                "terms": _kr("Activated trials", "percentage", 20, 40),
            },
        ),
        ("activate team objective (1 KR)", "activate_objective", {"objective_id": team}),
        (
            "align team objective to company KR arr",
            "align_goal",
            {
                **on_team,
                "parent": {"kind": "key_result", "objective_id": company, "key_result_id": "arr"},
            },
        ),
        (
            "vague SMART goal",
            "create_smart_goal",
            {
                "goal_id": f"vague-{cycle.id}",
                "statement": "do better",
                "owner": "ana",
                "cycle": quarter,
            },
        ),
        (
            "SMART goal serving team KR",
            "create_smart_goal",
            {
                "goal_id": smart,
                "statement": "Publish three onboarding guides for trial users",
                "owner": "ana",
                "cycle": quarter,
                "metric": {"kind": "numeric", "baseline": 0, "target": 3, "unit": "guides"},
                "deadline": str(cycle.ends_on - timedelta(days=7)),
                "achievability": "two drafts exist",
                "initial_confidence": 0.8,
                "serves": [
                    {"kind": "key_result", "objective_id": team, "key_result_id": "activation"}
                ],
            },
        ),
        (
            "check-in company KR arr",
            "record_check_in",
            {
                **on_company,
                "key_result_id": "arr",
                "value": 1_200_000,
                "confidence": 0.7,
                "note": "two big deals",
            },
        ),
        (
            "check-in company KR nps",
            "record_check_in",
            {**on_company, "key_result_id": "nps", "value": 40, "confidence": 0.5},
        ),
        (
            "check-in team KR activation",
            "record_check_in",
            {**on_team, "key_result_id": "activation", "value": 28, "confidence": 0.6},
        ),
        (
            "check-in SMART goal",
            "record_check_in",
            {
                "goal_type": "smart_goal",
                "goal_id": smart,
                "value": 1,
                "confidence": 0.8,
                "note": "first guide live",
            },
        ),
        ("integration progress (jira)", "report_progress", jira),
        ("same report again", "report_progress", jira),
        (
            "check-in on an unknown KR",
            "record_check_in",
            {**on_company, "key_result_id": "nope", "value": 1, "confidence": 0.5},
        ),
        ("mid-quarter adjustment, no reason", "adjust_key_result", nps_target_45),
        (
            "mid-quarter adjustment with reason",
            "adjust_key_result",
            {**nps_target_45, "reason": "survey vendor changed; 50 is no longer comparable"},
        ),
        (
            "back-dated check-in company KR nps",
            "record_check_in",
            {
                **on_company,
                "key_result_id": "nps",
                "value": 42,
                "confidence": 0.6,
                "note": "survey results of day 38, entered late",
                "applies_at": business_time(cycle, 38, now).isoformat(),
            },
        ),
    ]
    return [
        (label, command, {**body, "meta": _dated(cycle, label, now, body)})
        for label, command, body in steps
    ]


def _dated(cycle: Cycle, label: str, now: datetime, body: dict[str, Any]) -> dict[str, Any]:
    given = body.get("meta", {})
    if "actor" in given:  # an integration's report: the service dates it on receipt
        return dict(given)
    return {"now": business_time(cycle, BUSINESS_DAY.get(label, 2), now).isoformat(), **given}
