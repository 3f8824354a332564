"""Every id of a report derives from its name; command events from their command id."""

from __future__ import annotations

from uuid import NAMESPACE_URL, uuid4, uuid5

from events.goals import CheckInRecorded, ProgressReported
from services.domain.ids import ReportName, command_event_id, event_id_for
from tests.unit.factories import MID_Q4, report

NAME = ReportName("acme", "objective", "o1", "crm", "deal-1")


def test_a_reports_command_id_is_the_one_it_was_always_given() -> None:
    # Stored events name this id as their cause: an upgrade must not change it.
    namespace = uuid5(NAMESPACE_URL, "urn:okr-ledger:progress-report")
    assert NAME.command_id == uuid5(namespace, "acme/objective/o1/crm/deal-1")


def test_a_reports_event_id_ignores_the_command_id_a_sender_chose() -> None:
    event = ProgressReported(
        key_result_id="kr1", source="crm", idempotency_key="deal-1", value=5, observed_at=MID_Q4
    )
    ids = {event_id_for("acme", "objective", "o1", uuid4(), event, 0) for _ in range(3)}
    assert ids == {command_event_id("acme", "objective", "o1", NAME.command_id, 0)}


def test_other_events_derive_from_their_command_and_aggregate() -> None:
    event = CheckInRecorded(key_result_id="kr1", value=1, confidence=0.5, applies_at=MID_Q4)
    command_id = uuid4()
    here = event_id_for("acme", "objective", "o1", command_id, event, 0)
    assert here == command_event_id("acme", "objective", "o1", command_id, 0)
    assert here != event_id_for("acme", "objective", "o2", command_id, event, 0)
    assert here != event_id_for("other", "objective", "o1", command_id, event, 0)


def test_the_claim_of_a_report_is_its_name_whatever_its_value_or_key_result() -> None:
    first = report(130)
    assert first.report == ReportName(
        first.meta.tenant_id, "objective", first.goal_id, first.source, first.idempotency_key
    )
    again = first.model_copy(update={"value": 170.0, "key_result_id": "kr2"})
    assert again.request() == first.request()
    other = first.model_copy(update={"idempotency_key": "deal-2"})
    assert other.request() != first.request()
