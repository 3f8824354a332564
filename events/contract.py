"""The outbound contract, generated from the code: event JSON Schemas and an AsyncAPI document.

``python -m events.contract write`` writes ``docs/contract/``; ``check`` exits 1 when the
checked-in files differ from what this code generates. Subscribers read docs/events.md.

This is the one module of ``events/`` that reads ``services/``: the AsyncAPI document
describes the command requests and replies too, and those models live with the service.
"""

from __future__ import annotations

import argparse
import difflib
import inspect
import json
import sys
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from faststream.nats import NatsBroker
from faststream.specification import AsyncAPI
from pydantic import AwareDatetime, BaseModel, Field, JsonValue, TypeAdapter, create_model

from events.envelope import Envelope, EventPayload
from events.registry import REGISTRY, EventRegistry
from events.subjects import (
    COMMAND_QUEUE_GROUP,
    DEFAULT_SUBJECTS,
    HEADER_EVENT_TYPE,
    HEADER_HASH,
    HEADER_MSG_ID,
    HEADER_SCHEMA_VERSION,
    INGEST_QUEUE_GROUP,
    Subjects,
)
from events.values import Confidence, FiniteFloat, Frozen, Token
from services.application.codec import COMMANDS_BY_NAME
from services.application.ingest.reports import IngestReply, ProgressBatch, ProgressReport
from services.domain.commands import Command, CommandMeta
from services.domain.replies import Accepted, Rejected

JSON_SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
# The contract's own version, shown in the AsyncAPI info: bump it on a breaking change.
CONTRACT_VERSION: Final = "1.0.0"
DOCS_SERVER: Final = "nats://localhost:4222"
CONTRACT_DIR: Final = Path(__file__).resolve().parent.parent / "docs" / "contract"
ASYNCAPI_FILE: Final = "asyncapi.json"
EVENTS_DIR: Final = "events"
REPLY_CHANNEL: Final = "commandReply"
INGEST_REPLY_CHANNEL: Final = "ingestReply"


# --- Payloads of versions the code no longer writes ------------------------------------------
# Stored events never change, so a superseded version's schema is frozen here, by hand, when
# its successor and upcaster are added. Every upcaster key must have one (checked below).


class CheckInRecordedV1(Frozen):
    """check_in.recorded v1 (superseded): v2 added ``applies_at``, upcast from occurred_at."""

    key_result_id: Token | None = Field(description="the KR; null for a SMART goal")
    value: FiniteFloat
    confidence: Confidence
    note: str = Field(default="", max_length=5000)


HISTORICAL_PAYLOADS: Mapping[tuple[str, int], type[BaseModel]] = {
    ("check_in.recorded", 1): CheckInRecordedV1,
}


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
                raise LookupError(f"{event_type} v{version} has no payload model in contract.py")
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


def event_schema(
    event_type: str, version: int, payload: type[BaseModel], registry: EventRegistry = REGISTRY
) -> dict[str, Any]:
    """The JSON Schema of one stored event: the envelope with this version's payload."""
    model = envelope_model(event_type, version, payload, registry)
    schema: dict[str, Any] = _open(model.model_json_schema(mode="serialization"))
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
            "description": f"{event_type} v{version}: {_first_line(payload.__doc__)}{note}",
        }
    )
    return schema


def _first_line(doc: str | None) -> str:
    lines = (doc or "").strip().splitlines()
    return lines[0] if lines else ""


def event_schema_files(registry: EventRegistry = REGISTRY) -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema, one per registered event type and schema version."""
    return {
        f"{event_type}.v{version}.schema.json": event_schema(event_type, version, model, registry)
        for (event_type, version), model in event_versions(registry).items()
    }


# --- The AsyncAPI document -------------------------------------------------------------------


class RequestMeta(CommandMeta):
    """``meta`` as a request sends it: the service fills tenant_id and now when omitted."""

    # The service takes the tenant from the subject and stamps ``now`` itself (services/codec).
    tenant_id: Token | None = Field(  # type: ignore[assignment]
        default=None, description="must equal the subject's tenant when given"
    )
    now: AwareDatetime | None = Field(  # type: ignore[assignment]
        default=None, description="business time of the request; the service's clock if omitted"
    )


def request_model(command_type: type[Command]) -> type[BaseModel]:
    """The request body of a command: the command with a ``meta`` the service completes."""
    return create_model(
        command_type.__name__,
        __base__=command_type,
        __module__=__name__,
        __doc__=command_type.__doc__,
        meta=(RequestMeta, ...),
    )


def _documented(name: str, body: Any) -> Callable[..., Awaitable[None]]:
    """A handler that only carries a signature for the AsyncAPI document; it never runs."""

    async def handler(body: Any) -> None:
        raise NotImplementedError("the docs broker never connects")

    handler.__name__ = name
    parameter = inspect.Parameter("body", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=body)
    handler.__signature__ = inspect.Signature([parameter])  # type: ignore[attr-defined]
    handler.__annotations__ = {"body": body, "return": None}
    return handler


def add_commands(broker: NatsBroker, subjects: Subjects) -> list[str]:
    """The subscribers services/app.py register_commands builds, typed; returns their titles."""
    # Same subjects, queue group, titles and descriptions; only the handlers are typed
    # (the service's take the raw message), so that the document shows the request bodies.
    for name, command_type in COMMANDS_BY_NAME.items():
        broker.subscriber(
            subjects.command("{tenant}", name),
            queue=COMMAND_QUEUE_GROUP,
            title=name,
            description=command_type.__doc__,
        )(_documented(name, request_model(command_type)))
    return list(COMMANDS_BY_NAME)


INGEST_TITLE: Final = "ingest_progress"


def add_ingest(broker: NatsBroker, subjects: Subjects) -> str:
    """The subscriber services/ingest register_ingest builds, typed; returns its title."""
    broker.subscriber(
        subjects.ingest("{tenant}"),
        queue=INGEST_QUEUE_GROUP,
        title=INGEST_TITLE,
        description="An integration reports observed progress (request/reply): one "
        'ProgressReport or a ProgressBatch {"reports": [...]}; each report is judged on its '
        "own, accepted ones are stored as progress.reported, refused ones are answered in "
        "the IngestReply and kept on the dead-letter stream.",
    )(_documented(INGEST_TITLE, ProgressReport | ProgressBatch))
    return INGEST_TITLE


def add_events(broker: NatsBroker, subjects: Subjects, registry: EventRegistry = REGISTRY) -> None:
    """One publisher per event type, on its stored subject, with its envelope as payload."""
    for event_type in sorted(registry.payload_types):
        current = _current(registry, event_type)
        versions = [
            envelope_model(event_type, version, model, registry)
            for (name, version), model in event_versions(registry).items()
            if name == event_type
        ]
        schema: Any = versions[0]
        for older in versions[1:]:
            schema = schema | older
        kinds = ", ".join(str(kind) for kind in current.aggregate_types)
        broker.publisher(
            subjects.event("{tenant}", "{aggregate_type}", "{aggregate_id}", event_type),
            title=event_type,
            description=f"{_first_line(current.__doc__)} Aggregate types: {kinds}. "
            f"Current schema_version {current.schema_version}; headers {HEADER_MSG_ID}, "
            f"{HEADER_EVENT_TYPE}, {HEADER_SCHEMA_VERSION}, {HEADER_HASH}.",
            schema=schema,
        )


def docs_broker(subjects: Subjects = DEFAULT_SUBJECTS) -> NatsBroker:
    """A broker that never connects: the command and ingest subscribers, the event publishers."""
    broker = NatsBroker(
        DOCS_SERVER,
        description="NATS with JetStream; events are stored on the stream OKR_EVENTS.",
    )
    add_commands(broker, subjects)
    add_ingest(broker, subjects)
    add_events(broker, subjects)
    return broker


_PARAMETERS: Final[Mapping[str, dict[str, Any]]] = {
    "tenant": {"description": "the tenant id, a subject token [a-z0-9_-]"},
    "aggregate_type": {
        "description": "objective or smart_goal",
        "enum": ["objective", "smart_goal"],
    },
    "aggregate_id": {"description": "the goal's id, a subject token [a-z0-9_-]"},
}


def _reply_schema(title: str, reply: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the reply's schema, the models it references) with refs into components/schemas."""
    adapter: TypeAdapter[Any] = TypeAdapter(reply)
    schema = adapter.json_schema(mode="serialization", ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    if "$ref" in schema:  # a single model: name the reply after it, with no wrapper
        return {"$ref": schema["$ref"]}, defs
    return {"title": title, **schema}, defs


def _merge_schemas(target: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for name, schema in extra.items():
        if name in target and target[name] != schema:
            raise ValueError(f"two different schemas are named {name}")
        target[name] = schema


def _add_replies(doc: dict[str, Any], commands: Sequence[str], ingest: str) -> None:
    """faststream 0.7.8 leaves replies out: add AsyncAPI 3 ``reply`` objects to requests."""
    components = doc["components"]
    for channel, title, model, description, operations in (
        (
            REPLY_CHANNEL,
            "CommandReply",
            Accepted | Rejected,
            "The requester's reply inbox: an Accepted or a Rejected reply.",
            commands,
        ),
        (
            INGEST_REPLY_CHANNEL,
            "IngestReply",
            IngestReply,
            "The integration's reply inbox: one outcome per report.",
            [ingest],
        ),
    ):
        schema, defs = _reply_schema(title, model)
        if "$ref" not in schema:
            defs = {**defs, title: schema}
            schema = {"$ref": f"#/components/schemas/{title}"}
        _merge_schemas(components["schemas"], defs)
        components["messages"][title] = {
            "title": title,
            "contentType": "application/json",
            "payload": schema,
        }
        doc["channels"][channel] = {
            "address": None,
            "description": description,
            "messages": {title: {"$ref": f"#/components/messages/{title}"}},
        }
        for name in operations:
            doc["operations"][name]["reply"] = {
                "channel": {"$ref": f"#/channels/{channel}"},
                "messages": [{"$ref": f"#/channels/{channel}/messages/{title}"}],
            }


def _add_parameters(doc: dict[str, Any]) -> None:
    """Declare each ``{name}`` of a channel address (faststream 0.7.8 does not)."""
    for channel in doc["channels"].values():
        address = channel.get("address") or ""
        used = {name: spec for name, spec in _PARAMETERS.items() if f"{{{name}}}" in address}
        if used:
            channel["parameters"] = used


EVENT_HEADERS: Final[Mapping[str, str]] = {
    HEADER_MSG_ID: "the event_id; JetStream drops a second publish with the same id",
    HEADER_EVENT_TYPE: "the envelope's event_type",
    HEADER_SCHEMA_VERSION: "the envelope's schema_version, as a decimal string",
    HEADER_HASH: "sha256 hex over prev_hash, a newline and the exact body: the hash chain",
}


def _add_event_headers(doc: dict[str, Any], registry: EventRegistry = REGISTRY) -> None:
    """Document the headers every stored event carries (publishers cannot declare them)."""
    headers = {
        "type": "object",
        "required": sorted(EVENT_HEADERS),
        "properties": {
            name: {"type": "string", "description": text} for name, text in EVENT_HEADERS.items()
        },
    }
    for event_type in registry.payload_types:
        doc["components"]["messages"][f"{event_type}:Message"]["headers"] = headers


def asyncapi_document(subjects: Subjects = DEFAULT_SUBJECTS) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of commands, ingest and events, as JSON-ready data."""
    broker = docs_broker(subjects)
    spec = AsyncAPI(
        broker,
        title="okr-ledger",
        version=CONTRACT_VERSION,
        description="Commands (request/reply), integration ingest (request/reply) and the "
        "stored events subscribers read. Request schemas forbid unknown fields (the service "
        "refuses them); event subscribers must ignore unknown fields and event types, as "
        "docs/events.md says. One JSON Schema per event version: docs/contract/events/.",
    ).to_specification()
    doc: dict[str, Any] = spec.to_jsonable()
    _add_replies(doc, list(COMMANDS_BY_NAME), INGEST_TITLE)
    _add_parameters(doc)
    _add_event_headers(doc)
    return doc


# --- Files -----------------------------------------------------------------------------------


def render(document: Any) -> str:
    """Stable JSON text: sorted keys, two-space indent, a final newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generated_files() -> dict[str, str]:
    """Relative path -> text of every file under docs/contract/, sorted by path."""
    files = {ASYNCAPI_FILE: render(asyncapi_document())}
    for name, schema in event_schema_files().items():
        files[f"{EVENTS_DIR}/{name}"] = render(schema)
    return dict(sorted(files.items()))


def existing_files(root: Path = CONTRACT_DIR) -> dict[str, str]:
    """Relative path -> text of the contract files checked in under ``root``."""
    found = [root / ASYNCAPI_FILE, *sorted((root / EVENTS_DIR).glob("*.json"))]
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
        for path in found
        if path.is_file()
    }


def differences(root: Path = CONTRACT_DIR) -> Iterator[str]:
    """One line per file that is missing, stale or different, then a short unified diff."""
    wanted, present = generated_files(), existing_files(root)
    for name in sorted(wanted.keys() | present.keys()):
        if name not in present:
            yield f"missing: {name}"
        elif name not in wanted:
            yield f"stale: {name} (no registered event version has it)"
        elif present[name] != wanted[name]:
            diff = difflib.unified_diff(
                present[name].splitlines(),
                wanted[name].splitlines(),
                "checked-in",
                "generated",
                lineterm="",
                n=1,
            )
            yield f"differs: {name}\n" + "\n".join(list(diff)[:40])


def write(root: Path = CONTRACT_DIR) -> list[str]:
    """Write every generated file and remove stale schemas; returns the paths written."""
    wanted = generated_files()
    for name in existing_files(root).keys() - wanted.keys():
        (root / name).unlink()
    for name, text in wanted.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(wanted)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``write`` regenerates docs/contract/; ``check`` exits 1 if it is out of date."""
    parser = argparse.ArgumentParser(prog="python -m events.contract", description=__doc__)
    parser.add_argument("action", choices=("write", "check"))
    parser.add_argument("--dir", type=Path, default=CONTRACT_DIR, help="default: docs/contract")
    args = parser.parse_args(argv)
    if args.action == "write":
        written = write(args.dir)
        print(f"wrote {len(written)} files under {args.dir}")
        return 0
    problems = list(differences(args.dir))
    for line in problems:
        print(line)
    if problems:
        print(f"{len(problems)} contract files out of date: run `make contract`", file=sys.stderr)
        return 1
    print("contract files are up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
