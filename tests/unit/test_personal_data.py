"""Personal fields: sealed in the stored bytes, opened with their key, placeholders without."""

from __future__ import annotations

import json

import pytest

from events.cadence import DEFAULT_CADENCE, CheckInCadenceSet
from events.data_subjects import DataSubjectErased
from events.goals import CheckInRecorded, GoalArchived
from events.objectives import KeyResultAdded, KeyResultTerms
from events.personal import ENCRYPTED, ERASED, Sealing, SubjectKey
from events.registry import REGISTRY
from events.sealed_field import UnopenableField, new_key, new_kid, open_text, seal_text
from events.values import Metric, MetricKind
from services.domain.commands import EraseDataSubject
from tests.unit.factories import MID_Q4, meta
from tests.unit.given_when_then import given
from tests.unit.test_registry import wrap

NOTE = "Ana is struggling with the networking module"
KEY = SubjectKey("acme", "ana", new_kid(), new_key())


class Keys:
    """A KeyLookup holding the keys it was given."""

    def __init__(self, *keys: SubjectKey) -> None:
        self._keys = {k.kid: (k.tenant_id, k.key) for k in keys}

    def key(self, tenant_id: str, kid: str) -> bytes | None:
        tenant, key = self._keys.get(kid, ("", b""))
        return key if tenant == tenant_id else None


def check_in(note: str = NOTE) -> CheckInRecorded:
    return CheckInRecorded(
        key_result_id="kr", value=4, confidence=0.5, note=note, applies_at=MID_Q4
    )


def test_a_sealed_text_opens_only_with_its_key_in_its_tenant() -> None:
    sealed = seal_text(NOTE, "acme", KEY.kid, KEY.key)

    assert open_text(sealed, "acme", KEY.key) == NOTE
    with pytest.raises(UnopenableField):
        open_text(sealed, "globex", KEY.key)
    with pytest.raises(UnopenableField):
        open_text(sealed, "acme", new_key())


def test_the_stored_bytes_hold_ciphertext_and_read_back_as_plaintext() -> None:
    body = REGISTRY.encode(wrap(check_in()), Sealing(KEY, individual=False))

    assert NOTE.encode() not in body
    assert json.loads(body)["payload"]["note"]["kid"] == KEY.kid
    assert REGISTRY.decode(body, Keys(KEY)).payload == check_in()


def test_a_destroyed_key_reads_erased_and_a_reader_without_keys_reads_encrypted() -> None:
    body = REGISTRY.encode(wrap(check_in()), Sealing(KEY, individual=False))

    assert REGISTRY.decode(body, Keys()).payload == check_in(ERASED)
    assert REGISTRY.decode(body).payload == check_in(ENCRYPTED)


def test_titles_are_sealed_on_individual_goals_and_reasons_on_every_goal() -> None:
    terms = KeyResultTerms(
        title="Pass the exam", weight=1, metric=Metric(kind=MetricKind.BINARY, target=1)
    )
    added = wrap(KeyResultAdded(key_result_id="kr", terms=terms))
    archived = wrap(GoalArchived(reason="Ana left the team"))

    assert b"Pass the exam" not in REGISTRY.encode(added, Sealing(KEY, individual=True))
    assert b"Pass the exam" in REGISTRY.encode(added, Sealing(KEY, individual=False))
    assert b"Ana left" not in REGISTRY.encode(archived, Sealing(KEY, individual=False))


def test_events_stored_before_sealing_read_as_they_are() -> None:
    stored_v2 = json.loads(REGISTRY.encode(wrap(check_in())))
    stored_v2["schema_version"] = 2

    assert REGISTRY.decode(json.dumps(stored_v2), Keys()).payload.note == NOTE


def test_a_cadence_change_seals_its_reason_and_the_plaintext_version_reads_as_stored() -> None:
    changed = wrap(CheckInCadenceSet(cadence=DEFAULT_CADENCE, reason="Ana asked for fewer"))
    stored_v1 = json.loads(REGISTRY.encode(changed))
    stored_v1["schema_version"] = 1

    assert b"Ana asked" not in REGISTRY.encode(changed, Sealing(KEY, individual=False))
    assert REGISTRY.decode(json.dumps(stored_v1), Keys()).payload.reason == "Ana asked for fewer"
    assert REGISTRY.decode(json.dumps(stored_v1), Keys()).schema_version == 2


def test_a_person_is_erased_once_and_erasing_again_stores_nothing() -> None:
    erase = EraseDataSubject(meta=meta(), subject_id="ana", reason="request 17")

    given().when(erase).then(DataSubjectErased(subject_id="ana", reason="request 17"))
    given(DataSubjectErased(subject_id="ana", reason="request 17")).when(erase).then_nothing()
