"""The lean read of check-ins and reports accepts only what the full decode accepts, and
gives what the full decode gives; anything it refuses is left to the full decode."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.envelope import Envelope, EventPayload, StoredEvent
from events.goals import CheckInRecorded, ProgressReported
from events.personal import Sealing, SubjectKey
from events.registry import REGISTRY
from events.sealed_field import new_key, new_kid
from events.values import AggregateType
from projections.lean_decode import lean_observation
from projections.observation import Observation, observation_of
from projections.poison import read_event

AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
SUBJECT = "okr.acme.objective.o1."


class Keys:
    """One subject's key, or none once destroyed."""

    def __init__(self) -> None:
        self.kid, self.secret = new_kid(), new_key()
        self.destroyed = False

    def key(self, tenant_id: str, kid: str) -> bytes | None:
        """The key, for its own tenant and id only."""
        ok = tenant_id == "acme" and kid == self.kid and not self.destroyed
        return self.secret if ok else None

    def sealing(self) -> Sealing:
        """How the write side seals with it."""
        return Sealing(SubjectKey("acme", "ana", self.kid, self.secret), individual=True)


def envelope(payload: EventPayload, **header: Any) -> Envelope:
    """A valid envelope of ``payload`` for o1 of acme."""
    fields: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "event_type": payload.event_type,
        "schema_version": payload.schema_version,
        "tenant_id": "acme",
        "aggregate_type": AggregateType.OBJECTIVE,
        "aggregate_id": "o1",
        "aggregate_version": 7,
        "occurred_at": AT,
        "recorded_at": AT + timedelta(seconds=1),
        "actor": "ana",
        "correlation_id": uuid.uuid4(),
        "causation_id": None,
        "prev_hash": "abc",
        "payload": payload,
    }
    return Envelope(**{**fields, **header})


CHECK_IN = CheckInRecorded(
    key_result_id="kr1", value=40.5, confidence=0.6, note="on track", applies_at=AT
)
REPORT = ProgressReported(
    key_result_id=None, source="jira", idempotency_key="J-1", value=3, observed_at=AT
)


def full(body: bytes, keys: Keys | None) -> Observation | Exception | None:
    """What the registry's full decode makes of ``body``: its observation, or its error."""
    try:
        stored = REGISTRY.decode_stored(1, SUBJECT + "check_in.recorded", body, None, keys)
    except Exception as exc:
        return exc
    return observation_of(stored)


def same_as_full(body: bytes, event_type: str, keys: Keys | None) -> Observation | None:
    """The lean read of ``body``, checked against the full decode: equal, or refused."""
    subject = SUBJECT + event_type
    lean = lean_observation(1, subject, body, keys)
    expected = full(body, keys)
    if lean is None:
        return None
    assert not isinstance(expected, Exception), (
        f"lean accepted what the full decode refused: {expected}"
    )
    assert expected is not None
    assert lean == Observation(**{**_fields(expected), "subject": subject})
    return lean


def _fields(o: Observation) -> dict[str, Any]:
    return {name: getattr(o, name) for name in Observation.__dataclass_fields__}


@pytest.mark.parametrize("sealed", [True, False])
@pytest.mark.parametrize("payload", [CHECK_IN, REPORT], ids=["check_in", "report"])
def test_a_stored_check_in_or_report_reads_lean_as_in_full(
    payload: EventPayload, sealed: bool
) -> None:
    keys = Keys()
    body = REGISTRY.encode(envelope(payload), keys.sealing() if sealed else None)
    lean = same_as_full(body, payload.event_type, keys)
    assert lean is not None  # the lean read was taken, not left to the full decode
    assert lean.note == ("on track" if isinstance(payload, CheckInRecorded) else "")


def test_sealed_notes_read_as_the_full_decode_reads_them_without_keys_or_once_erased() -> None:
    keys = Keys()
    body = REGISTRY.encode(envelope(CHECK_IN), keys.sealing())
    assert (same_as_full(body, "check_in.recorded", None) or _missing()).note == "[encrypted]"
    keys.destroyed = True
    assert (same_as_full(body, "check_in.recorded", keys) or _missing()).note == "[erased]"


def _missing() -> Observation:
    raise AssertionError("the lean read was not taken")


def test_older_versions_and_other_events_are_left_to_the_full_decode() -> None:
    v2 = json.loads(REGISTRY.encode(envelope(CHECK_IN)))
    v2["schema_version"] = 2
    assert lean_observation(1, SUBJECT + "check_in.recorded", json.dumps(v2).encode(), None) is None
    read = read_event(1, SUBJECT + "check_in.recorded", json.dumps(v2).encode(), None, lean=True)
    assert isinstance(read, StoredEvent)  # upcast in full, then folded as an observation
    closed = REGISTRY.encode(envelope(CHECK_IN, event_type="goal.closed"))
    assert lean_observation(1, SUBJECT + "goal.closed", closed, None) is None


def test_an_envelope_naming_another_place_than_its_subject_is_unreadable_either_way() -> None:
    body = REGISTRY.encode(envelope(CHECK_IN, tenant_id="other"))
    for lean in (True, False):
        read = read_event(1, SUBJECT + "check_in.recorded", body, None, lean=lean)
        assert not isinstance(read, StoredEvent | Observation)


# Values a stored field might hold if someone wrote the stream by hand: each is swapped into
# one field of a valid body; the lean read must refuse it or agree with the full decode.
ODD = st.sampled_from(
    [
        None,
        True,
        False,
        0,
        1,
        -1,
        2**70,
        1.5,
        -0.0,
        1e308,
        0.99999,
        1.0000001,
        "",
        " ",
        "x" * 201,
        "x" * 5001,
        "Acme",
        "ok",
        "kr 1",
        "2026-11-02T09:30:00Z",
        "2026-11-02T09:30:00+02:00",
        "2026-11-02T09:30:00.123Z",
        "2026-11-02",
        "1730539800",
        "2026-13-02T09:30:00Z",
        "2026-W45-1T09:30:00Z",
        "FDA3E81E-6AF6-4AD5-AA16-FCDDA28EFE55",
        "fda3e81e6af64ad5aa16fcdda28efe55",
        str(uuid.uuid4()),
        "objective",
        "smart_goal",
        "data_subject",
        [],
        {},
        {"enc": "aes-256-gcm"},
        "a\u0000b",
    ]
)
HEADER = list(Envelope.model_fields)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    payload=st.sampled_from([CHECK_IN, REPORT]),
    sealed=st.booleans(),
    where=st.sampled_from(["header", "payload", "drop", "extra"]),
    index=st.integers(min_value=0, max_value=20),
    value=ODD,
)
def test_an_odd_field_is_refused_or_read_as_in_full(
    payload: EventPayload, sealed: bool, where: str, index: int, value: object
) -> None:
    keys = Keys()
    raw = json.loads(REGISTRY.encode(envelope(payload), keys.sealing() if sealed else None))
    target = raw if where in ("header", "drop") else raw["payload"]
    names = HEADER if target is raw else list(target)
    name = names[index % len(names)]
    if where == "drop":
        del target[name]
    elif where == "extra":
        target["unexpected"] = value
    else:
        target[name] = value
    same_as_full(json.dumps(raw).encode(), payload.event_type, keys)
