"""The shipped NATS configuration (deploy/nats/nats.conf) enforces the role split.

Each test starts the bundled nats-server with that file, as compose.yaml does, on free
ports and with the development passwords compose.yaml defaults to; then connects as each
user and shows what the server lets through and what it refuses.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import nats
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from events.subjects import DEAD_LETTER_STREAM_NAME, DEFAULT_SUBJECTS, STREAM_NAME
from events.values import Cycle
from services.adapters.embedded import free_port, nats_server_binary
from services.adapters.event_store import EventStore
from services.adapters.stream import StreamSettings, ensure_stream
from services.application.ingest.reports import IngestReply
from services.bootstrap import command_service, read_side
from services.client import OkrClient
from services.settings import Settings

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "nats" / "nats.conf"
COMPOSE = ROOT / "compose.yaml"
TENANT = "acme"  # the demo tenant the shipped configuration has users for
START_TIMEOUT_S = 15.0
PORT_ATTEMPTS = 5
ROUND_TRIP_S = 2.0
Q4 = Cycle.quarter("2026-q4").model_dump(mode="json")
IN_Q4 = {"now": "2026-10-05T09:00:00Z"}


def compose_defaults() -> dict[str, str]:
    """The ``${VAR:-default}`` values compose.yaml gives the NATS passwords."""
    found = re.findall(r"\$\{(OKR_NATS_\w+_PASSWORD):-([^}]+)\}", COMPOSE.read_text())
    return dict(found)


@dataclass(frozen=True)
class SecuredNats:
    """A nats-server running deploy/nats/nats.conf; ``url(user)`` logs in as that user."""

    host: str
    port: int
    passwords: dict[str, str]

    def url(self, user: str) -> str:
        """The client URL with ``user``'s credentials."""
        variable = {
            "okr-service": "OKR_NATS_SERVICE_PASSWORD",
            "acme-integration": "OKR_NATS_ACME_INTEGRATION_PASSWORD",
            "acme-member": "OKR_NATS_ACME_MEMBER_PASSWORD",
            "subscriber": "OKR_NATS_SUBSCRIBER_PASSWORD",
            "auditor": "OKR_NATS_AUDITOR_PASSWORD",
        }[user]
        return f"nats://{user}:{self.passwords[variable]}@{self.host}:{self.port}"


def _launch(config_env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes] | None:
    """Start the server on ``port``; None if another process took the port first."""
    offset = log.stat().st_size if log.exists() else 0
    with log.open("ab") as out:
        process = subprocess.Popen(
            # -p and -m override the file's 4222 and 8222, which may be taken on this host.
            [
                *(str(nats_server_binary()), "-c", str(CONFIG), "-a", "127.0.0.1"),
                *("-p", str(port), "-m", str(free_port())),
            ],
            env={**os.environ, **config_env},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        text = log.read_bytes()[offset:]
        if process.poll() is not None:
            if b"address already in use" in text:
                return None
            raise RuntimeError(f"nats-server refused {CONFIG}:\n{text.decode(errors='replace')}")
        if b"Server is ready" in text:
            return process
        time.sleep(0.01)
    process.kill()
    process.wait()
    raise RuntimeError(f"nats-server did not start within {START_TIMEOUT_S} s")


@pytest.fixture
def secured_nats(tmp_path: Path) -> Iterator[SecuredNats]:
    """The bundled nats-server with the shipped configuration, on free loopback ports."""
    passwords = compose_defaults()
    # The store directory stands in for compose's /data volume.
    config_env = {**passwords, "OKR_NATS_STORE_DIR": str(tmp_path / "jetstream")}
    for _ in range(PORT_ATTEMPTS):
        port = free_port()
        process = _launch(config_env, port, tmp_path / "nats-server.log")
        if process is not None:
            break
    else:
        raise RuntimeError(f"no free port for nats-server in {PORT_ATTEMPTS} attempts")
    try:
        yield SecuredNats("127.0.0.1", port, passwords)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Violations:
    """Error callback of a connection: keeps the permission violations the server reports.

    nats-py does not raise on a refused publish or subscribe (the server answers it
    asynchronously with ``-ERR 'Permissions Violation for Publish to "..."'``); its reader
    lowercases the text and hands ``nats.errors.Error("nats: permissions violation ...")``
    to the error callback, and the connection stays open.
    """

    def __init__(self) -> None:
        self.errors: list[Exception] = []
        self._arrived = asyncio.Event()

    async def record(self, exc: Exception) -> None:
        """The callback (nats-py wants a coroutine function, not a callable object)."""
        self.errors.append(exc)
        self._arrived.set()

    async def wait_refused(self, action: str, subject: str) -> bool:
        """Whether the server refuses ``action`` on ``subject`` within ROUND_TRIP_S.

        Waited for, not checked after a flush: nats-py may write a flush's PING before
        publishes still in its buffer, so the PONG can come back before the refusal.
        """
        deadline = asyncio.get_running_loop().time() + ROUND_TRIP_S
        while not self.refused(action, subject):
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return False
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)
        return True

    def refused(self, action: str, subject: str) -> bool:
        """Whether the server refused ``action`` ('publish' or 'subscription') on a subject
        that is ``subject`` or, if it ends with a dot, starts with it."""
        closing = "" if subject.endswith(".") else '"'
        wanted = f'permissions violation for {action} to "{subject}{closing}'.lower()
        return any(
            isinstance(e, nats.errors.Error) and wanted in str(e).lower() for e in self.errors
        )


@dataclass
class Session:
    """One user's connection and what the server refused it."""

    nc: Client
    violations: Violations

    async def refused_publish(self, subject: str, data: bytes = b"{}") -> bool:
        """Publish, and say whether the server refused it."""
        await self.nc.publish(subject, data)
        return await self.violations.wait_refused("publish", subject)


class ConnectAs(Protocol):
    """Type of the ``connect`` fixture: ``await connect("subscriber")``."""

    async def __call__(self, user: str, inbox: bool = True) -> Session:
        """A connection as ``user`` (``inbox=False``: the default _INBOX prefix)."""
        ...


@pytest.fixture
async def connect(secured_nats: SecuredNats) -> AsyncIterator[ConnectAs]:
    """Connects as a user of the shipped configuration; closes every connection after."""
    opened: list[Client] = []

    async def as_user(user: str, inbox: bool = True) -> Session:
        violations = Violations()
        # Every user but okr-service receives only on its own inbox prefix (see nats.conf).
        prefix = f"_INBOX.{user}" if inbox and user != "okr-service" else "_INBOX"
        nc = await nats.connect(
            secured_nats.url(user),
            error_cb=violations.record,
            inbox_prefix=prefix,
            allow_reconnect=False,
        )
        opened.append(nc)
        return Session(nc, violations)

    try:
        yield as_user
    finally:
        for nc in opened:
            await nc.close()


async def store_one_event(service: Client) -> str:
    """Create the event stream as the service does and store one event; its subject."""
    await ensure_stream(service, StreamSettings(name=STREAM_NAME))
    subject = DEFAULT_SUBJECTS.event(TENANT, "objective", uuid.uuid4().hex[:8], "created")
    await service.jetstream().publish(subject, b'{"probe": true}', stream=STREAM_NAME)
    return subject


async def stored_count(service: Client) -> int:
    """How many messages the event stream holds."""
    return int((await service.jetstream().stream_info(STREAM_NAME)).state.messages)


def test_compose_ships_the_configuration_and_the_service_user() -> None:
    compose = COMPOSE.read_text()
    assert "./deploy/nats/nats.conf:/etc/nats/nats.conf:ro" in compose
    assert '["-c", "/etc/nats/nats.conf"]' in compose
    assert "nats://okr-service:${OKR_NATS_SERVICE_PASSWORD:-dev-okr-service}@nats:4222" in compose
    assert set(compose_defaults()) == {
        "OKR_NATS_SERVICE_PASSWORD",
        "OKR_NATS_ACME_INTEGRATION_PASSWORD",
        "OKR_NATS_ACME_MEMBER_PASSWORD",
        "OKR_NATS_SUBSCRIBER_PASSWORD",
        "OKR_NATS_AUDITOR_PASSWORD",
    }


async def test_a_wrong_password_is_refused(secured_nats: SecuredNats) -> None:
    url = f"nats://subscriber:guessed@{secured_nats.host}:{secured_nats.port}"
    with pytest.raises(nats.errors.Error, match=r"(?i)authorization violation"):
        await nats.connect(url, error_cb=Violations().record, allow_reconnect=False)


async def test_integration_reports_progress_of_its_tenant_only(connect: ConnectAs) -> None:
    service = await connect("okr-service")
    received: list[str] = []

    async def answer(msg: Msg) -> None:
        received.append(msg.subject)
        if msg.reply:
            # The service may publish to the caller's inbox only because of allow_responses.
            await msg.respond(b'{"ok": true}')

    await service.nc.subscribe("ingest.okr.>", cb=answer)
    await service.nc.subscribe("cmd.okr.>", cb=answer)
    await service.nc.flush()
    integration = await connect("acme-integration")

    reply = await integration.nc.request(
        DEFAULT_SUBJECTS.ingest(TENANT), b"{}", timeout=ROUND_TRIP_S
    )

    assert reply.data == b'{"ok": true}'
    assert not integration.violations.errors
    # An event, another tenant's ingest, a command, the dead letters: all refused.
    for subject in (
        "okr.acme.objective.x.check_in.recorded",
        DEFAULT_SUBJECTS.ingest("other"),
        DEFAULT_SUBJECTS.command(TENANT, "create_objective"),
        DEFAULT_SUBJECTS.dead_letter(TENANT),
        f"$JS.API.STREAM.INFO.{STREAM_NAME}",
    ):
        assert await integration.refused_publish(subject), subject
    await service.nc.flush()
    assert received == [DEFAULT_SUBJECTS.ingest(TENANT)]  # nothing refused reached anyone
    # Nor may it listen in: not on events, not on other connections' inboxes.
    for subject in ("okr.>", "_INBOX.>"):
        await integration.nc.subscribe(subject)
        assert await integration.violations.wait_refused("subscription", subject), subject


async def test_integration_without_its_inbox_prefix_gets_no_reply(connect: ConnectAs) -> None:
    service = await connect("okr-service")

    async def answer(msg: Msg) -> None:
        await msg.respond(b"{}")

    await service.nc.subscribe("ingest.okr.>", cb=answer)
    await service.nc.flush()
    integration = await connect("acme-integration", inbox=False)

    with pytest.raises(nats.errors.TimeoutError):
        await integration.nc.request(DEFAULT_SUBJECTS.ingest(TENANT), b"{}", timeout=0.5)

    # Its reply subscription on the default prefix was refused, so no reply could come.
    assert await integration.violations.wait_refused("subscription", "_INBOX.")


async def test_subscriber_reads_the_stream_and_writes_nothing(connect: ConnectAs) -> None:
    service = await connect("okr-service")
    subject = await store_one_event(service.nc)
    subscriber = await connect("subscriber")
    js = subscriber.nc.jetstream()

    # An ordered consumer (ephemeral, flow-controlled), found by its subject.
    ordered = await js.subscribe("okr.acme.>", ordered_consumer=True)
    first = await ordered.next_msg(timeout=ROUND_TRIP_S)
    await ordered.unsubscribe()
    # A durable pull consumer of its own, acknowledged.
    pull = await js.pull_subscribe("okr.>", durable="notifications", stream=STREAM_NAME)
    [fetched] = await pull.fetch(1, timeout=ROUND_TRIP_S)
    await fetched.ack_sync(timeout=ROUND_TRIP_S)

    assert (first.subject, first.data) == (subject, b'{"probe": true}')
    assert fetched.subject == subject
    assert not subscriber.violations.errors
    refused = (
        "okr.acme.objective.x.check_in.recorded",
        DEFAULT_SUBJECTS.command(TENANT, "create_objective"),
        DEFAULT_SUBJECTS.ingest(TENANT),
        f"$JS.API.STREAM.DELETE.{STREAM_NAME}",
        f"$JS.API.STREAM.PURGE.{STREAM_NAME}",
        f"$JS.API.STREAM.MSG.DELETE.{STREAM_NAME}",
        f"$JS.API.DIRECT.GET.{STREAM_NAME}",
        f"$JS.API.CONSUMER.DELETE.{STREAM_NAME}.notifications",
        # The projector's durable consumer: not to be taken over.
        f"$JS.API.CONSUMER.DURABLE.CREATE.{STREAM_NAME}.read_models_okr",
        f"$JS.API.CONSUMER.CREATE.{STREAM_NAME}.read_models_okr",
        # Another stream's consumers.
        f"$JS.API.CONSUMER.CREATE.{DEAD_LETTER_STREAM_NAME}",
    )
    for forbidden in refused:
        assert await subscriber.refused_publish(forbidden), forbidden
    assert await stored_count(service.nc) == 1  # still there, nothing added


async def test_member_sends_its_commands_and_reads_only_its_tenant(connect: ConnectAs) -> None:
    service = await connect("okr-service")
    await store_one_event(service.nc)
    other = DEFAULT_SUBJECTS.event("other", "objective", "o1", "created")
    await service.nc.jetstream().publish(other, b"{}", stream=STREAM_NAME)
    member = await connect("acme-member")
    js = member.nc.jetstream()

    # A named consumer filtered to acme's events: the filter is part of the API subject.
    deliver_to = member.nc.new_inbox()
    delivered = await member.nc.subscribe(deliver_to)
    info = await js.add_consumer(
        STREAM_NAME,
        ConsumerConfig(
            name="acme-reader",
            filter_subject=DEFAULT_SUBJECTS.tenant(TENANT),
            deliver_subject=deliver_to,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.NONE,
        ),
    )
    msg = await delivered.next_msg(timeout=ROUND_TRIP_S)

    assert info.num_pending == 1  # of the two stored events, only acme's matches
    assert msg.subject.startswith("okr.acme.")
    with pytest.raises(nats.errors.TimeoutError):  # and the other tenant's never comes
        await delivered.next_msg(timeout=0.3)
    assert not member.violations.errors
    for forbidden in (
        DEFAULT_SUBJECTS.command("other", "create_objective"),
        "okr.acme.objective.x.created",
        DEFAULT_SUBJECTS.ingest(TENANT),
        # Unfiltered or another tenant's filter: every tenant's events.
        f"$JS.API.CONSUMER.CREATE.{STREAM_NAME}",
        f"$JS.API.CONSUMER.CREATE.{STREAM_NAME}.all.okr.>",
        f"$JS.API.CONSUMER.CREATE.{STREAM_NAME}.spy.okr.other.>",
        f"$JS.API.DIRECT.GET.{STREAM_NAME}",
    ):
        assert await member.refused_publish(forbidden), forbidden
    # The filter in the subject must be the consumer's: a wider one in the body is refused.
    wider = {
        "stream_name": STREAM_NAME,
        "config": {"name": "wide", "filter_subject": "okr.>", "deliver_subject": deliver_to},
    }
    answer = await member.nc.request(
        f"$JS.API.CONSUMER.CREATE.{STREAM_NAME}.wide.okr.acme.>",
        json.dumps(wider).encode(),
        timeout=ROUND_TRIP_S,
    )
    assert "did not match filtered subject" in json.loads(answer.data)["error"]["description"]


async def test_service_runs_under_its_user_and_roles_reach_it(
    connect: ConnectAs,
    secured_nats: SecuredNats,
    database_url: str,
    pg_schema: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = secured_nats.url("okr-service")
    settings = Settings(
        nats_url=url,
        database_url=database_url,
        data_dir=tmp_path,
        db_schema=pg_schema,
        http_port=0,
        auth_secret="a-test-secret-of-at-least-thirty-two-bytes",
    )
    async with (
        command_service(settings, url) as service,
        read_side(settings, service.connection, database_url) as reads,
    ):
        member = await connect("acme-member")
        client = OkrClient(member.nc, TENANT, "ana")
        objective = f"o-{uuid.uuid4().hex[:8]}"
        accepted = await client.execute(
            "create_objective",
            objective_id=objective,
            title="Grow revenue",
            level="company",
            owner="ceo",
            cycle=Q4,
            meta=IN_Q4,
        )
        # A personal text needs its subject's key, and erasing destroys it in place.
        personal = await client.execute(
            "create_objective",
            objective_id=f"{objective}-ana",
            title="Ana: AWS certification",
            description="Ana wants to move to the platform team",
            level="individual",
            owner="ana",
            cycle=Q4,
            meta=IN_Q4,
        )
        erased = await OkrClient(service.connection, TENANT, "lead").execute(
            "erase_data_subject", subject_id="ana", reason="request 1", meta=IN_Q4
        )
        integration = await connect("acme-integration")
        # A report the service refuses: answered, and kept on the dead-letter stream.
        refused = await integration.nc.request(
            service.subjects.ingest(TENANT), b"not json", timeout=10
        )
        await reads.wait_until_current()
        auditor = await connect("auditor")
        audited = await EventStore(auditor.nc, STREAM_NAME).load_tenant(TENANT)
        dead = await service.dead_letters.read(TENANT)

    assert accepted.version == 1
    assert (personal.version, erased.duplicate) == (1, False)
    assert not IngestReply.model_validate_json(refused.data).ok
    assert [d.body for d in dead] == [b"not json"]
    assert reads.projector.writer.checkpoint >= 1  # the projector consumed under okr-service
    assert objective in [e.envelope.aggregate_id for e in audited]  # direct get, as auditor
    for session in (member, integration, auditor):
        assert not session.violations.errors
    # The service's own connection (faststream's) logs what the server refused it: nothing.
    assert "permissions violation" not in caplog.text.lower()
    assert await auditor.refused_publish(service.subjects.event(TENANT, "objective", "x", "y"))


async def test_service_cannot_drop_the_event_log(connect: ConnectAs) -> None:
    service = await connect("okr-service")
    await store_one_event(service.nc)

    for forbidden in (
        f"$JS.API.STREAM.DELETE.{STREAM_NAME}",
        f"$JS.API.STREAM.PURGE.{STREAM_NAME}",
        f"$JS.API.STREAM.MSG.DELETE.{STREAM_NAME}",
    ):
        assert await service.refused_publish(forbidden), forbidden
    assert await stored_count(service.nc) == 1
    with pytest.raises(NotFoundError):  # the API itself still answers the service
        await service.nc.jetstream().stream_info("NO_SUCH_STREAM")
