"""Maps wire names to payload models, encodes envelopes and decodes them with upcasting."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pydantic_core
from pydantic import ValidationError, create_model

from events.cadence import CheckInCadenceSet, HygienePolicySet
from events.data_subjects import DataSubjectErased
from events.envelope import Envelope, EventPayload, StoredEvent
from events.goals import (
    CheckInRecorded,
    GoalAligned,
    GoalArchived,
    GoalCarriedOver,
    GoalClosed,
    GoalUnaligned,
    ProgressReported,
)
from events.objectives import (
    KeyResultAdded,
    KeyResultAdjusted,
    ObjectiveActivated,
    ObjectiveCreated,
)
from events.personal import (
    SEALED_MARK,
    KeyLookup,
    PersonalPath,
    Sealing,
    open_payload,
    personal_paths,
    seal_payload,
)
from events.scoring_policy import ScoringPolicySet
from events.smart_goals import SmartGoalCreated
from events.upcasters import UPCASTERS, Upcaster


def _envelope_of(payload_type: type[EventPayload]) -> type[Envelope]:
    """An Envelope subclass whose payload is exactly ``payload_type``."""
    return create_model(
        f"{payload_type.__name__}Envelope",
        __base__=Envelope,
        __module__=__name__,
        payload=(payload_type, ...),
    )


class UnknownEventType(LookupError):
    """The wire name is not in the registry."""


class UnsupportedSchemaVersion(ValueError):
    """A stored version newer than this code, or with no upcaster path."""


class EventRegistry:
    """Wire name -> current payload model, plus the upcasters that lift old versions."""

    def __init__(
        self,
        payload_types: Iterable[type[EventPayload]],
        upcasters: Mapping[tuple[str, int], Upcaster],
    ) -> None:
        self._types = {cls.event_type: cls for cls in payload_types}
        self._envelopes = {name: _envelope_of(cls) for name, cls in self._types.items()}
        self._upcasters = dict(upcasters)
        self._personal = {name: personal_paths(cls) for name, cls in self._types.items()}

    def personal_paths(self, event_type: str) -> tuple[PersonalPath, ...]:
        """Where an event type's personal fields sit in its payload JSON."""
        return self._personal.get(event_type, ())

    @property
    def payload_types(self) -> Mapping[str, type[EventPayload]]:
        """Every registered wire name and its current model."""
        return self._types

    def payload_type(self, event_type: str) -> type[EventPayload]:
        """The current model for a wire name."""
        try:
            return self._types[event_type]
        except KeyError:
            raise UnknownEventType(f"unknown event type {event_type!r}") from None

    def upcast(
        self, event_type: str, version: int, payload: dict[str, Any], header: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Lift a payload from ``version`` to the current schema version."""
        current = self.payload_type(event_type).schema_version
        if version > current:
            raise UnsupportedSchemaVersion(
                f"{event_type} v{version} is newer than this code (v{current})"
            )
        while version < current:
            step = self._upcasters.get((event_type, version))
            if step is None:
                raise UnsupportedSchemaVersion(f"no upcaster for {event_type} v{version}")
            payload = step(payload, header)
            version += 1
        return payload

    def decode(self, data: bytes | str, keys: KeyLookup | None = None) -> Envelope:
        """Parse a stored envelope, upcasting its payload to the current version and
        opening its sealed fields with ``keys`` (placeholders where a key is missing)."""
        # Fast path, the common case: the event is at the current schema version, so one
        # validation straight from JSON with its concrete envelope model is the whole work
        # (a third of the general path's cost, which builds Python dicts first). A body
        # with sealed fields takes the general path, which opens them.
        body = data.encode() if isinstance(data, str) else data
        if SEALED_MARK in body:
            return self._decode_general(body, keys)
        event_type = _peek_event_type(body)
        envelope_type = self._envelopes.get(event_type) if event_type else None
        if envelope_type is not None and event_type is not None:
            try:
                envelope = envelope_type.model_validate_json(body)
            except ValidationError:
                pass  # an older version (or a broken body): the general path says which
            else:
                current = self._types[event_type].schema_version
                if envelope.event_type == event_type and envelope.schema_version == current:
                    return envelope
        return self._decode_general(data, keys)

    def _decode_general(self, data: bytes | str, keys: KeyLookup | None) -> Envelope:
        """Decode through a dict, so old payloads can be upcast before validation."""
        raw = pydantic_core.from_json(data)
        if not isinstance(raw, dict):
            raise ValueError("a stored event is a JSON object")
        event_type = str(raw.get("event_type"))
        envelope_type = self._envelopes.get(event_type)
        if envelope_type is None:
            raise UnknownEventType(f"unknown event type {event_type!r}")
        current = self._types[event_type].schema_version
        version = raw.get("schema_version")
        if version != current:
            if not isinstance(version, int):
                raise UnsupportedSchemaVersion(f"{event_type} has no schema_version")
            raw["payload"] = self.upcast(event_type, version, raw.get("payload", {}), raw)
            raw["schema_version"] = current
        paths = self._personal[event_type]
        if paths and isinstance(raw.get("payload"), dict):
            open_payload(raw["payload"], paths, str(raw.get("tenant_id")), keys)
        # One validation pass over header and payload, with the payload's concrete model.
        return envelope_type.model_validate(raw)

    def decode_stored(
        self,
        stream_sequence: int,
        subject: str,
        data: bytes,
        hash: str | None = None,
        keys: KeyLookup | None = None,
    ) -> StoredEvent:
        """A stored message as a StoredEvent (the envelope is validated once, in ``decode``)."""
        # A validated envelope instance is taken as it is (no revalidation); this costs less
        # than model_construct, which is written in Python.
        return StoredEvent(
            stream_sequence=stream_sequence,
            subject=subject,
            envelope=self.decode(data, keys),
            hash=hash,
        )

    def encode(self, envelope: Envelope, sealing: Sealing | None = None) -> bytes:
        """Serialise an envelope to its wire JSON, its personal texts sealed with ``sealing``."""
        paths = self._personal.get(envelope.event_type, ())
        if sealing is None or not paths:
            return envelope.model_dump_json().encode()
        raw = envelope.model_dump(mode="json")
        seal_payload(raw["payload"], paths, sealing)
        return pydantic_core.to_json(raw)


_EVENT_TYPE_KEY = b'"event_type":"'


def _peek_event_type(body: bytes) -> str | None:
    """The first ``"event_type":"..."`` in ``body`` (the header's, as ``encode`` writes it).

    Only a hint: the decoded envelope's own event_type is checked against it.
    """
    start = body.find(_EVENT_TYPE_KEY)
    if start < 0:
        return None
    start += len(_EVENT_TYPE_KEY)
    end = body.find(b'"', start)
    return body[start:end].decode("ascii", "replace") if end > 0 else None


PAYLOAD_TYPES: tuple[type[EventPayload], ...] = (
    ObjectiveCreated,
    ObjectiveActivated,
    KeyResultAdded,
    KeyResultAdjusted,
    SmartGoalCreated,
    GoalAligned,
    GoalUnaligned,
    CheckInRecorded,
    ProgressReported,
    GoalClosed,
    GoalCarriedOver,
    GoalArchived,
    DataSubjectErased,
    CheckInCadenceSet,
    HygienePolicySet,
    ScoringPolicySet,
)

REGISTRY = EventRegistry(PAYLOAD_TYPES, UPCASTERS)
