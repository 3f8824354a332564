"""How far meta.now may lie from the service clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.domain.clock_skew import ClockSkew
from services.domain.errors import ErrorCode, RuleViolation

CLOCK = datetime(2026, 12, 1, 12, tzinfo=UTC)
SKEW = ClockSkew(ahead=timedelta(minutes=5), behind=timedelta(days=30))


@pytest.mark.parametrize(
    "now",
    [CLOCK, CLOCK + timedelta(minutes=5), CLOCK - timedelta(days=30), CLOCK - timedelta(hours=1)],
)
def test_a_business_time_inside_the_window_is_taken(now: datetime) -> None:
    SKEW.check(now, CLOCK)


@pytest.mark.parametrize(
    "now", [CLOCK + timedelta(minutes=5, seconds=1), CLOCK - timedelta(days=30, seconds=1)]
)
def test_a_business_time_outside_the_window_is_refused_naming_meta_now(now: datetime) -> None:
    with pytest.raises(RuleViolation) as refused:
        SKEW.check(now, CLOCK)

    assert refused.value.code is ErrorCode.INVALID_COMMAND
    assert [(v.criterion, v.code) for v in refused.value.violations] == [("meta.now", "clock_skew")]
