"""The S, M, R and T checks of a SMART goal, each answering with its own violations.

'Achievable' has no rule: its evidence (a rationale and an initial confidence) is
recorded for people to judge, not for code.
"""

from __future__ import annotations

import re

from services.domain.commands import CreateSmartGoal
from services.domain.errors import Violation

MIN_WORDS = 4
# Intentions that name nothing one could check. A statement is vague when, once filler
# words are dropped, one of these is all that is left: "We really must do better".
# Matching the whole gist (not a substring) keeps "Improve trial activation to 40%".
VAGUE_PHRASES = (
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
    "do our best",
)
# Words that add nothing checkable around a vague phrase.
# fmt: off
FILLER = frozenset({
    "a", "all", "an", "at", "everything", "general", "generally", "i", "in", "it", "just",
    "lot", "lots", "more", "much", "must", "need", "our", "overall", "quarter", "really",
    "should", "somehow", "stuff", "the", "things", "this", "to", "we", "will", "year",
})
# fmt: on


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'%€$-]+", text.lower())


def _gist(words: list[str]) -> str:
    return " ".join(word for word in words if word not in FILLER)


_VAGUE_GISTS = frozenset(_gist(_words(phrase)) for phrase in VAGUE_PHRASES)


def specific(statement: str) -> tuple[Violation, ...]:
    """A specific statement is not blank, has a few words, and is not a known vague phrase."""
    words = _words(statement)
    if not words:
        return (
            Violation(
                criterion="specific", code="statement_empty", message="the statement is empty"
            ),
        )
    if len(words) < MIN_WORDS or _gist(words) in _VAGUE_GISTS | {""}:
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
