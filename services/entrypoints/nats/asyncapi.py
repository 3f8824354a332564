"""The AsyncAPI 3.0 document of the NATS surface: the service's own router, then the events.

The command and ingest operations come from ``nats_router``, the router the service
includes, so the document cannot describe a subscription that does not run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from faststream.nats import NatsBroker
from faststream.specification import AsyncAPI
from pydantic import TypeAdapter

from events.contract import envelope_model, event_versions, first_line
from events.registry import REGISTRY, EventRegistry
from events.signals import SIGNAL_TYPES
from events.subjects import (
    DEFAULT_SUBJECTS,
    HEADER_EVENT_TYPE,
    HEADER_HASH,
    HEADER_MSG_ID,
    HEADER_SCHEMA_VERSION,
    HEADER_SIGNAL_TYPE,
    SIGNAL_STREAM_NAME,
    Subjects,
)
from events.values import AggregateType
from services.application.ingest.reports import IngestReply
from services.domain.replies import Accepted, Rejected
from services.entrypoints.nats.requests import COMMAND_REQUESTS
from services.entrypoints.nats.router import COMMANDS_TITLE, INGEST_TITLE, nats_router

# The contract's own version, shown in the AsyncAPI info: bump it on a breaking change.
CONTRACT_VERSION: Final = "1.0.0"
DOCS_SERVER: Final = "nats://localhost:4222"
REPLY_CHANNEL: Final = "commandReply"
INGEST_REPLY_CHANNEL: Final = "ingestReply"
SCHEMAS: Final = "#/components/schemas/"


def add_events(broker: NatsBroker, subjects: Subjects, registry: EventRegistry = REGISTRY) -> None:
    """One publisher per event type, on its stored subject, with its envelope as payload."""
    for event_type in sorted(registry.payload_types):
        current = registry.payload_type(event_type)
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
            description=f"{first_line(current.__doc__)} Aggregate types: {kinds}. "
            f"Current schema_version {current.schema_version}; headers {HEADER_MSG_ID}, "
            f"{HEADER_EVENT_TYPE}, {HEADER_SCHEMA_VERSION}, {HEADER_HASH}.",
            schema=schema,
        )


def add_signals(broker: NatsBroker, subjects: Subjects) -> None:
    """One publisher per signal type, on its subject, with its model as payload."""
    for signal_type in SIGNAL_TYPES:
        name = signal_type.type_name()
        broker.publisher(
            subjects.signal("{tenant}", "{aggregate_type}", "{aggregate_id}", name),
            title=name,
            description=f"{first_line(signal_type.__doc__)} Stored on the stream "
            f"{SIGNAL_STREAM_NAME}, once per goal and occasion (docs/signals.md); headers "
            f"{HEADER_MSG_ID} (the signal_id), {HEADER_SIGNAL_TYPE}.",
            schema=signal_type,
        )


def docs_broker(subjects: Subjects = DEFAULT_SUBJECTS) -> NatsBroker:
    """A broker that never connects: the service's router, and the event publishers."""
    broker = NatsBroker(
        DOCS_SERVER,
        description="NATS with JetStream; events are stored on the stream OKR_EVENTS.",
    )
    broker.include_router(nats_router(subjects))
    add_events(broker, subjects)
    add_signals(broker, subjects)
    return broker


_PARAMETERS: Final[Mapping[str, dict[str, Any]]] = {
    "tenant": {"description": "the tenant id, a subject token [a-z0-9_-]"},
    "command": {
        "description": "the command's name; the channel's message of that name is its body",
        "enum": sorted(COMMAND_REQUESTS),
    },
    "aggregate_type": {
        "description": "objective or smart_goal; tenant_setting for one of the tenant's settings",
        "enum": [t.value for t in AggregateType],
    },
    "aggregate_id": {
        "description": "the goal's id, or the setting's name (e.g. check_in_cadence); a subject "
        "token [a-z0-9_-]"
    },
}


def _split_commands(doc: dict[str, Any], subjects: Subjects) -> None:
    """Name each member of the command payload's union after its command, as one message.

    The handler documents its body as the union of the request models; a reader needs to
    know which body goes with which subject, and the subject's last token says it.
    """
    channel, messages = doc["channels"][COMMANDS_TITLE], doc["components"]["messages"]
    (union_ref,) = channel["messages"].values()
    union = messages.pop(union_ref["$ref"].rsplit("/", 1)[-1])
    union_schema = doc["components"]["schemas"].pop(union["payload"]["$ref"][len(SCHEMAS) :])
    members = {ref["$ref"][len(SCHEMAS) :] for ref in union_schema["anyOf"]}
    channel["messages"] = {}
    for name, model in sorted(COMMAND_REQUESTS.items()):
        if model.__name__ not in members:
            raise LookupError(f"the command endpoint does not document {name}")
        messages[name] = {
            "name": name,
            "title": model.__name__,
            "summary": f"the body of a request on {subjects.command('{tenant}', name)}",
            "contentType": "application/json",
            "payload": {"$ref": f"{SCHEMAS}{model.__name__}"},
        }
        channel["messages"][name] = {"$ref": f"#/components/messages/{name}"}
    doc["operations"][COMMANDS_TITLE]["messages"] = [
        {"$ref": f"#/channels/{COMMANDS_TITLE}/messages/{name}"} for name in channel["messages"]
    ]


def _reply_schema(title: str, reply: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the reply's schema, the models it references) with refs into components/schemas."""
    adapter: TypeAdapter[Any] = TypeAdapter(reply)
    schema = adapter.json_schema(mode="serialization", ref_template=SCHEMAS + "{model}")
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
            schema = {"$ref": f"{SCHEMAS}{title}"}
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
    spec = AsyncAPI(
        docs_broker(subjects),
        title="okr-ledger",
        version=CONTRACT_VERSION,
        description="Commands (request/reply), integration ingest (request/reply) and the "
        "stored events and the signals (check-in reminders, stale goals, hygiene findings) "
        "subscribers read. Request schemas forbid unknown fields (the service "
        "refuses them); event subscribers must ignore unknown fields and event types, as "
        "docs/events.md says. One JSON Schema per event version: docs/contract/events/.",
    ).to_specification()
    doc: dict[str, Any] = spec.to_jsonable()
    _split_commands(doc, subjects)
    _add_replies(doc, [COMMANDS_TITLE], INGEST_TITLE)
    _add_parameters(doc)
    _add_event_headers(doc)
    return doc
