"""The two-axis filter of every replay: an event is in view "as of D, known at T" when its
valid time is at or before D and the service recorded it at or before T, for every kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from events.envelope import Envelope, EventPayload
from events.goals import CheckInRecorded, ProgressReported
from projections.audit.axes import TimeAxes, back_dated, in_view, late, valid_time
from tests.unit.test_registry import EXAMPLES, wrap

NOV_9 = datetime(2026, 11, 9, 9, tzinfo=UTC)
SENT = datetime(2026, 11, 19, 9, tzinfo=UTC)  # the sender's business time (meta.now)
RECORDED = datetime(2026, 11, 19, 9, 5, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def told(payload: EventPayload) -> Envelope:
    """``payload`` as sent on Nov 19 and recorded five minutes later; a check-in or report
    says its value held on Nov 9."""
    match payload:
        case CheckInRecorded():
            payload = payload.model_copy(update={"applies_at": NOV_9})
        case ProgressReported():
            payload = payload.model_copy(update={"observed_at": NOV_9})
    return wrap(payload).model_copy(update={"occurred_at": SENT, "recorded_at": RECORDED})


def observed(payload: EventPayload) -> bool:
    return isinstance(payload, CheckInRecorded | ProgressReported)


@pytest.mark.parametrize("payload", EXAMPLES, ids=lambda p: p.event_type)
def test_valid_time_is_when_the_fact_applies(payload: EventPayload) -> None:
    assert valid_time(told(payload)) == (NOV_9 if observed(payload) else SENT)


@pytest.mark.parametrize("payload", EXAMPLES, ids=lambda p: p.event_type)
def test_in_view_once_valid_and_known(payload: EventPayload) -> None:
    event = told(payload)
    valid = valid_time(event)

    assert in_view(event, TimeAxes(valid, RECORDED))
    assert not in_view(event, TimeAxes(valid - SECOND, RECORDED))  # not yet valid
    assert not in_view(event, TimeAxes(valid, RECORDED - SECOND))  # not yet known
    assert not in_view(event, TimeAxes(valid - SECOND, RECORDED - SECOND))


@pytest.mark.parametrize("payload", EXAMPLES, ids=lambda p: p.event_type)
def test_as_of_between_the_value_and_its_telling(payload: EventPayload) -> None:
    """As of Nov 10, known at Nov 20: a value that held on Nov 9 is in view, though told
    on Nov 19; a change made on Nov 19 is not."""
    in_between = TimeAxes(datetime(2026, 11, 10, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC))
    known_too_early = TimeAxes(in_between.as_of, datetime(2026, 11, 12, tzinfo=UTC))

    assert in_view(told(payload), in_between) is observed(payload)
    assert not in_view(told(payload), known_too_early)


@pytest.mark.parametrize("payload", EXAMPLES, ids=lambda p: p.event_type)
def test_flags_name_only_their_own_kind(payload: EventPayload) -> None:
    event = told(payload)

    assert back_dated(event) is isinstance(payload, CheckInRecorded)
    assert late(event) is isinstance(payload, ProgressReported)


def test_told_within_two_days_nothing_is_flagged() -> None:
    check_in, report = (
        told(p) for p in EXAMPLES if isinstance(p, CheckInRecorded | ProgressReported)
    )
    soon = NOV_9 + timedelta(days=2)

    assert not back_dated(check_in.model_copy(update={"occurred_at": soon}))
    assert not late(report.model_copy(update={"recorded_at": soon}))


def test_an_older_single_axis_question_names_its_axes() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)

    assert TimeAxes.asked(now) == TimeAxes(now, now)
    assert TimeAxes.asked(now, NOV_9, basis="recorded") == TimeAxes(NOV_9, NOV_9)
    assert TimeAxes.asked(now, NOV_9, basis="occurred") == TimeAxes(NOV_9, now)
    assert TimeAxes.asked(now, NOV_9, SENT) == TimeAxes(NOV_9, SENT)
    with pytest.raises(ValueError, match="not both"):
        TimeAxes.asked(now, NOV_9, SENT, "recorded")
