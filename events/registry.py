"""Maps wire names to payload models, encodes envelopes and decodes them with upcasting."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pydantic_core

from events.envelope import Envelope, EnvelopeHeader, EventPayload, StoredEvent
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
from events.smart_goals import SmartGoalCreated
from events.upcasters import UPCASTERS, Upcaster


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
        self._upcasters = dict(upcasters)

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

    def decode(self, data: bytes | str) -> Envelope:
        """Parse a stored envelope, upcasting its payload to the current version."""
        raw = pydantic_core.from_json(data)
        payload_raw = raw.pop("payload")
        header = EnvelopeHeader.model_validate(raw)
        payload_cls = self.payload_type(header.event_type)
        payload_raw = self.upcast(header.event_type, header.schema_version, payload_raw, raw)
        payload = payload_cls.model_validate(payload_raw)
        fields = header.model_dump()
        fields["schema_version"] = payload_cls.schema_version
        return Envelope.model_construct(**fields, payload=payload)

    def decode_stored(self, stream_sequence: int, subject: str, data: bytes) -> StoredEvent:
        """A stored message as a StoredEvent (validated once, in ``decode``)."""
        return StoredEvent.model_construct(
            stream_sequence=stream_sequence, subject=subject, envelope=self.decode(data)
        )

    @staticmethod
    def encode(envelope: Envelope) -> bytes:
        """Serialise an envelope to its wire JSON."""
        return envelope.model_dump_json().encode()


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
)

REGISTRY = EventRegistry(PAYLOAD_TYPES, UPCASTERS)
