"""The checked-in contract (docs/contract/) is what the code generates, and real events fit it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import jsonschema
import pytest
from faststream.nats import NatsBroker

from events.contract import event_versions
from events.registry import REGISTRY
from events.subjects import DEFAULT_SUBJECTS
from services.application.codec import COMMANDS_BY_NAME
from services.entrypoints.nats.asyncapi import asyncapi_document, docs_broker
from services.entrypoints.nats.contract import (
    ASYNCAPI_FILE,
    CONTRACT_DIR,
    EVENTS_DIR,
    existing_files,
    generated_files,
    render,
    write,
)
from services.entrypoints.nats.router import nats_router
from tests.unit.test_registry import EXAMPLES, wrap

REGENERATE = "docs/contract/ is out of date: run `make contract` and commit the result"


def _schema(event_type: str, version: int) -> dict[str, Any]:
    path = CONTRACT_DIR / EVENTS_DIR / f"{event_type}.v{version}.schema.json"
    return cast(dict[str, Any], json.loads(path.read_text(encoding="utf-8")))


def test_checked_in_documents_equal_the_generated_ones() -> None:
    wanted, present = generated_files(), existing_files()

    for name, text in wanted.items():
        assert present.get(name) == text, f"{name}: {REGENERATE}"


def test_every_registered_event_version_has_a_schema_file_and_none_is_stale() -> None:
    expected = {f"{t}.v{v}.schema.json" for t, v in event_versions()}
    on_disk = {p.name for p in (CONTRACT_DIR / EVENTS_DIR).iterdir()}

    assert expected == on_disk, REGENERATE
    assert ("check_in.recorded", 1) in event_versions()  # the upcast version is documented too
    assert {t for t, _ in event_versions()} == set(REGISTRY.payload_types)


def test_generation_is_deterministic(tmp_path: Path) -> None:
    write(tmp_path)
    first = existing_files(tmp_path)
    write(tmp_path)

    assert existing_files(tmp_path) == first == generated_files()
    assert render(asyncapi_document()) == first[ASYNCAPI_FILE]


def test_write_removes_stale_schema_files(tmp_path: Path) -> None:
    stale = tmp_path / EVENTS_DIR / "goal.teleported.v1.schema.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")

    write(tmp_path)

    assert not stale.exists()


@pytest.mark.parametrize("payload", EXAMPLES, ids=lambda p: p.event_type)
def test_an_encoded_envelope_validates_against_its_schema(payload: Any) -> None:
    envelope = json.loads(REGISTRY.encode(wrap(payload)))
    schema = _schema(envelope["event_type"], envelope["schema_version"])

    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(envelope, schema, format_checker=jsonschema.FormatChecker())


def test_a_v1_check_in_validates_against_the_v1_schema_only() -> None:
    check_in = next(p for p in EXAMPLES if p.event_type == "check_in.recorded")
    stored_v1 = json.loads(REGISTRY.encode(wrap(check_in)))
    stored_v1["schema_version"] = 1
    del stored_v1["payload"]["applies_at"]

    jsonschema.validate(stored_v1, _schema("check_in.recorded", 1))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(stored_v1, _schema("check_in.recorded", 2))
    # What a reader of this service sees: the current version it is upcast to.
    upcast = json.loads(REGISTRY.encode(REGISTRY.decode(json.dumps(stored_v1))))
    jsonschema.validate(upcast, _schema("check_in.recorded", 3))


def test_schemas_accept_unknown_fields_as_the_versioning_policy_promises() -> None:
    archived = next(p for p in EXAMPLES if p.event_type == "goal.archived")
    envelope = json.loads(REGISTRY.encode(wrap(archived)))
    envelope["added_later"] = True
    envelope["payload"]["also_added_later"] = datetime(2027, 1, 1, tzinfo=UTC).isoformat()

    jsonschema.validate(envelope, _schema("goal.archived", 2))


def _subscriptions(broker: NatsBroker) -> dict[str, tuple[str, str | None]]:
    """Each subscriber's title -> (the subject it subscribes to, its queue group)."""
    return {
        sub.specification.name: (
            sub.specification.subject.broker_address,
            sub.specification.config.queue,
        )
        for sub in broker.subscribers
    }


def test_the_document_has_the_subscribers_the_service_runs() -> None:
    service = NatsBroker()
    service.include_router(nats_router(DEFAULT_SUBJECTS))
    doc = asyncapi_document()
    receives = {name for name, op in doc["operations"].items() if op["action"] == "receive"}

    # Both include the router one function builds: the same subscriptions, nothing else.
    assert _subscriptions(docs_broker()) == _subscriptions(service)
    assert receives == set(_subscriptions(service))
    # One subscription takes every command, so that an unknown name is answered too.
    assert {subject for subject, _ in _subscriptions(service).values()} == {
        DEFAULT_SUBJECTS.any_command(),
        DEFAULT_SUBJECTS.ingest_wildcard(),
    }
    for name, (_, queue) in _subscriptions(service).items():
        assert doc["channels"][name]["bindings"]["nats"]["queue"] == queue


def test_each_command_has_its_request_body_and_the_reply() -> None:
    doc = asyncapi_document()
    channel = doc["channels"]["commands"]
    messages = doc["components"]["messages"]

    assert channel["address"] == "cmd.okr.{tenant}.{command}"
    assert set(channel["messages"]) == set(COMMANDS_BY_NAME)
    assert channel["parameters"]["command"]["enum"] == sorted(COMMANDS_BY_NAME)
    for name, command_type in COMMANDS_BY_NAME.items():
        payload = messages[name]["payload"]["$ref"].rsplit("/", 1)[-1]
        request = doc["components"]["schemas"][payload]
        assert request["description"] == command_type.__doc__
        assert "meta" in request["properties"]
    assert doc["operations"]["commands"]["reply"]["channel"] == {"$ref": "#/channels/commandReply"}


def test_the_asyncapi_document_names_every_event_subject_and_reply() -> None:
    doc = json.loads((CONTRACT_DIR / ASYNCAPI_FILE).read_text(encoding="utf-8"))

    for event_type in REGISTRY.payload_types:
        address = doc["channels"][event_type]["address"]
        assert address == f"okr.{{tenant}}.{{aggregate_type}}.{{aggregate_id}}.{event_type}"
        assert doc["operations"][event_type]["action"] == "send"
    assert doc["operations"]["ingest_progress"]["reply"]["channel"] == {
        "$ref": "#/channels/ingestReply"
    }
    assert doc["channels"]["ingest_progress"]["address"] == "ingest.okr.{tenant}.progress"
