"""The service clock: only the I/O edge reads it, and hands the time to the rules."""

from __future__ import annotations

from datetime import UTC, datetime


def now_utc() -> datetime:
    """The current instant, in UTC."""
    return datetime.now(UTC)
