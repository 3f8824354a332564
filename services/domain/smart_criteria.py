"""The S, M, R and T checks of a SMART goal, each answering with its own violations.

'Achievable' has no rule: its evidence (a rationale and an initial confidence) is
recorded for people to judge, not for code.
"""

from __future__ import annotations

import re

from services.commands import CreateSmartGoal
from services.errors import Violation

MIN_WORDS = 4
# Statements that name an intention but nothing one could check; matched whole.
VAGUE_STATEMENTS = frozenset(
    {
        "do better",
        "improve",
        "improve things",
        "work harder",
        "be better",
        "try harder",
        "do more",
        "get better",
        "be more productive",
        "grow",
    }
)


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'%€$-]+", text.lower())


def specific(statement: str) -> tuple[Violation, ...]:
    """A specific statement is not blank, has a few words, and is not a known vague phrase."""
    words = _words(statement)
    if not words:
        return (
            Violation(
                criterion="specific", code="statement_empty", message="the statement is empty"
            ),
        )
    if " ".join(words) in VAGUE_STATEMENTS or len(words) < MIN_WORDS:
        return (
            Violation(
                criterion="specific",
                code="statement_vague",
                message=f"{statement!r} is too vague: say what, for whom, how much",
            ),
        )
    return ()


def smart_violations(command: CreateSmartGoal) -> tuple[Violation, ...]:
    """Every criterion the SMART goal fails, in S, M, R, T order."""
    found = list(specific(command.statement))
    if command.metric is None:
        found.append(
            Violation(
                criterion="measurable",
                code="metric_missing",
                message="name a metric with a baseline and a target",
            )
        )
    if not command.serves and not command.personal:
        found.append(
            Violation(
                criterion="relevant",
                code="serves_nothing",
                message="name the key result or objective it serves, or mark it personal",
            )
        )
    cycle = command.cycle
    if command.deadline is None:
        found.append(
            Violation(criterion="time_bound", code="deadline_missing", message="set a deadline")
        )
    elif not cycle.starts_on <= command.deadline <= cycle.ends_on:
        found.append(
            Violation(
                criterion="time_bound",
                code="deadline_outside_cycle",
                message=f"deadline {command.deadline} lies outside {cycle.id} "
                f"({cycle.starts_on}..{cycle.ends_on})",
            )
        )
    return tuple(found)
