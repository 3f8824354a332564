"""Check-ins and integration reports read from their stored bytes as Observations.

Nine events in ten are one of these two, at their current schema version. The full decode
builds the envelope and payload models (and for a sealed check-in first a Python dict, to
open its note), then a StoredEvent around them; the fold reads a dozen of their fields.
Here the body is validated once, straight from JSON, against a mirror of the models (the
same annotations and constraints as TypedDicts: no field is checked less, none is skipped),
its sealed fields are opened as the registry opens them and checked against their own
field's rules, and only the Observation the fold needs is built.

Anything else — another event type or version, a key missing or extra, any value the
models' rules refuse, a sealed field that does not open — gives None: the caller takes
the registry's full decode, with its upcasting and its typed errors (a poison event still
parks). So a body read here is one the full decode accepts, and folds to the same rows
(tests/unit/test_lean_decode.py, tests/integration/test_lean_projection.py).
"""

from __future__ import annotations

import typing
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from typing_extensions import TypedDict

from events.envelope import Envelope, EnvelopeHeader, EventPayload
from events.goals import CheckInRecorded, ProgressReported
from events.personal import KeyLookup, open_value, personal_paths
from events.registry import REGISTRY, EventRegistry
from events.sealed_field import UnopenableField
from projections.observation import Kind, Observation


def _annotation(info: FieldInfo) -> Any:
    """The field's type with its constraints (pattern, bounds, validators) attached."""
    return Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation


def _holds_model(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_holds_model(arg) for arg in typing.get_args(annotation))


def _plain(model: type[BaseModel]) -> None:
    """Refuse a model whose validators a mirror of its fields would not run."""
    decorators = model.__pydantic_decorators__
    if decorators.field_validators or decorators.model_validators or decorators.validators:
        raise TypeError(f"{model.__name__} has validators a mirror would not run")


def _mirror(model: type[BaseModel], loose: frozenset[str], **more: Any) -> Any:
    """A TypedDict that validates as ``model`` does, every field required (the shape the
    registry writes), ``loose`` fields taken as they come (checked after opening)."""
    _plain(model)
    fields = {}
    for name, info in model.model_fields.items():
        if _holds_model(info.annotation):
            raise TypeError(f"{model.__name__}.{name} nests a model: decode it in full")
        fields[name] = Any if name in loose else _annotation(info)
    mirror = TypedDict(f"{model.__name__}Fields", {**fields, **more})  # type: ignore[misc]
    mirror.__pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[attr-defined]
    return mirror


class _Hot:
    """How one hot event type is decoded: its mirror, and where its sealed fields are."""

    def __init__(self, payload: type[EventPayload], kind: Kind) -> None:
        self.payload = payload
        self.kind = kind
        self.paths = personal_paths(payload)
        if any(len(path) != 1 for path, _ in self.paths):
            raise TypeError(f"{payload.__name__} has nested personal fields")
        sealed = frozenset(path[0] for path, _ in self.paths)
        self.sealed = {
            name: TypeAdapter(_annotation(payload.model_fields[name])) for name in sealed
        }
        _plain(Envelope)  # the header's fields are EnvelopeHeader's, the payload comes last
        self.fields = TypeAdapter(
            _mirror(EnvelopeHeader, frozenset(), payload=_mirror(payload, sealed))
        )


# Found by the subject's last tokens, which name the event type (events/subjects.py):
# cheaper to match than the body. The body's own type is validated against it.
_CHECK_IN: Final = _Hot(CheckInRecorded, "check_in")
_REPORT: Final = _Hot(ProgressReported, "progress")
_CHECK_IN_END: Final = "." + CheckInRecorded.event_type
_REPORT_END: Final = "." + ProgressReported.event_type


def lean_observation(
    sequence: int,
    subject: str,
    body: bytes,
    keys: KeyLookup | None,
    registry: EventRegistry = REGISTRY,
) -> Observation | None:
    """The stored message as an Observation if it is a check-in or report at its current
    version in the registry's shape; None for anything else (decode it in full)."""
    if subject.endswith(_CHECK_IN_END):
        hot = _CHECK_IN
    elif subject.endswith(_REPORT_END):
        hot = _REPORT
    else:
        return None
    if sequence < 1:
        return None
    if registry.payload_types.get(hot.payload.event_type) is not hot.payload:
        return None  # a registry of other models: it decodes them itself
    try:
        f = hot.fields.validate_json(body)
        if f["event_type"] != hot.payload.event_type or (
            f["schema_version"] != hot.payload.schema_version
        ):
            return None  # an older version: upcast by the full decode
        p = f["payload"]
        for name, rules in hot.sealed.items():
            p[name] = rules.validate_python(open_value(p[name], f["tenant_id"], keys))
    except (ValidationError, UnopenableField, UnicodeDecodeError):
        return None  # the full decode names the fault with its own typed error
    check_in = hot.kind == "check_in"
    return Observation(
        sequence,
        subject,
        f["event_id"],
        f["event_type"],
        f["tenant_id"],
        f["aggregate_type"].value,
        f["aggregate_id"],
        f["aggregate_version"],
        f["occurred_at"],
        f["recorded_at"],
        f["actor"],
        hot.kind,
        p["key_result_id"],
        p["value"],
        p["confidence"] if check_in else None,
        p["note"] if check_in else "",
        None if check_in else p["source"],
        None if check_in else p["idempotency_key"],
        p["applies_at"] if check_in else p["observed_at"],
    )
