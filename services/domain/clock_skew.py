"""How far a caller's business time (``meta.now``) may lie from the service clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.domain.errors import ErrorCode, RuleViolation, Violation

DEFAULT_AHEAD = timedelta(minutes=5)  # clocks drift; a business time ahead of ours does not
DEFAULT_BEHIND = timedelta(days=5 * 366)  # back-filling history is legitimate, within reason


@dataclass(frozen=True)
class ClockSkew:
    """The window around the service clock that ``meta.now`` must fall into."""

    ahead: timedelta = DEFAULT_AHEAD
    behind: timedelta = DEFAULT_BEHIND

    def check(self, now: datetime, received_at: datetime) -> None:
        """Raise RuleViolation(INVALID_COMMAND) naming meta.now when it lies outside."""
        if now > received_at + self.ahead:
            problem = f"is {now - received_at} ahead of the service clock (at most {self.ahead})"
        elif now < received_at - self.behind:
            problem = f"is {received_at - now} behind the service clock (at most {self.behind})"
        else:
            return
        raise RuleViolation(
            ErrorCode.INVALID_COMMAND,
            f"meta.now {problem}",
            (Violation(criterion="meta.now", code="clock_skew", message=f"meta.now {problem}"),),
        )


DEFAULT_SKEW = ClockSkew()
