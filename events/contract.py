"""The event contract as JSON Schemas: one per event type and schema version, of the envelope.

The NATS entry point writes them under ``docs/contract/`` with its AsyncAPI document, which
shows these envelopes as the payloads of the event subjects. Subscribers read docs/events.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pydantic import BaseModel, Field, JsonValue, create_model

from events.envelope import Envelope, EventPayload
from events.historical import HISTORICAL_PAYLOADS
from events.personal import PERSONAL_KEY
from events.registry import REGISTRY, EventRegistry
from events.sealed_field import SEALED_FIELD_SCHEMA
from events.signals import SIGNAL_TYPES, Signal

JSON_SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"


def event_versions(
    registry: EventRegistry = REGISTRY,
    historical: Mapping[tuple[str, int], type[BaseModel]] = HISTORICAL_PAYLOADS,
) -> dict[tuple[str, int], type[BaseModel]]:
    """Every (event_type, schema_version) a stream may hold, with its payload model, sorted."""
    versions: dict[tuple[str, int], type[BaseModel]] = {}
    for event_type, payload_type in registry.payload_types.items():
        for version in range(1, payload_type.schema_version):
            model = historical.get((event_type, version))
            if model is None:
                raise LookupError(f"{event_type} v{version} has no model in HISTORICAL_PAYLOADS")
            versions[(event_type, version)] = model
        versions[(event_type, payload_type.schema_version)] = payload_type
    return dict(sorted(versions.items()))


def _current(registry: EventRegistry, event_type: str) -> type[EventPayload]:
    return registry.payload_type(event_type)


def envelope_model(
    event_type: str, version: int, payload: type[BaseModel], registry: EventRegistry = REGISTRY
) -> type[Envelope]:
    """The envelope carrying ``payload`` as event ``event_type`` v``version``."""
    fields = Envelope.model_fields
    kinds: list[JsonValue] = [str(k) for k in registry.payload_type(event_type).aggregate_types]
    # The constants go into the schema only (json_schema_extra): a subscriber can tell the
    # versions of a type apart by them; this model is never used to validate.
    return create_model(
        f"{_camel(event_type)}V{version}Envelope",
        __base__=Envelope,
        __module__=__name__,
        event_type=(
            str,
            Field(
                description=fields["event_type"].description,
                json_schema_extra={"const": event_type},
            ),
        ),
        schema_version=(
            int,
            Field(
                ge=1,
                description=fields["schema_version"].description,
                json_schema_extra={"const": version},
            ),
        ),
        aggregate_type=(
            str,
            Field(description="the aggregate's kind", json_schema_extra={"enum": kinds}),
        ),
        payload=(payload, ...),
    )


def _camel(event_type: str) -> str:
    return "".join(part.capitalize() for part in event_type.replace(".", "_").split("_"))


def _open(schema: Any) -> Any:
    """Drop ``additionalProperties: false`` everywhere: subscribers must accept new fields."""
    if isinstance(schema, dict):
        return {
            key: _open(value)
            for key, value in schema.items()
            if not (key == "additionalProperties" and value is False)
        }
    if isinstance(schema, list):
        return [_open(item) for item in schema]
    return schema


def _sealable(schema: Any) -> Any:
    """Each field marked personal also admits its stored form, a sealed field."""
    if isinstance(schema, list):
        return [_sealable(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _sealable(value) for key, value in schema.items()}
    if PERSONAL_KEY not in out:
        return out
    marker = out.pop(PERSONAL_KEY)
    kept = {key: out.pop(key) for key in ("title", "description", "default") if key in out}
    plain = out.pop("anyOf") if "anyOf" in out else [out]
    return {**kept, PERSONAL_KEY: marker, "anyOf": [*plain, SEALED_FIELD_SCHEMA]}


def event_schema(
    event_type: str, version: int, payload: type[BaseModel], registry: EventRegistry = REGISTRY
) -> dict[str, Any]:
    """The JSON Schema of one stored event: the envelope with this version's payload."""
    model = envelope_model(event_type, version, payload, registry)
    schema: dict[str, Any] = _open(_sealable(model.model_json_schema(mode="serialization")))
    current = _current(registry, event_type)
    superseded = version < current.schema_version
    note = (
        f" Superseded: readers upcast it to v{current.schema_version} (see docs/events.md)."
        if superseded
        else ""
    )
    schema.update(
        {
            "$schema": JSON_SCHEMA_DIALECT,
            "$id": f"urn:okr-ledger:event:{event_type}:v{version}",
            "description": f"{event_type} v{version}: {first_line(payload.__doc__)}{note}",
        }
    )
    return schema


def first_line(doc: str | None) -> str:
    """The first line of a docstring, or "" when there is none."""
    lines = (doc or "").strip().splitlines()
    return lines[0] if lines else ""


def event_schema_files(registry: EventRegistry = REGISTRY) -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema, one per registered event type and schema version."""
    return {
        f"{event_type}.v{version}.schema.json": event_schema(event_type, version, model, registry)
        for (event_type, version), model in event_versions(registry).items()
    }


def signal_schema(signal_type: type[Signal]) -> dict[str, Any]:
    """The JSON Schema of one signal type (open to new fields, as event schemas are)."""
    schema: dict[str, Any] = _open(signal_type.model_json_schema(mode="serialization"))
    name = signal_type.type_name()
    schema.update(
        {
            "$schema": JSON_SCHEMA_DIALECT,
            "$id": f"urn:okr-ledger:signal:{name}:v1",
            "description": f"{name} v1: {first_line(signal_type.__doc__)}",
        }
    )
    return schema


def signal_schema_files() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema, one per signal type."""
    return {f"{s.type_name()}.v1.schema.json": signal_schema(s) for s in SIGNAL_TYPES}
