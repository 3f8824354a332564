"""The tamper suite: copies of a store rewritten through the NATS API (the stream deleted and
recreated) or by editing its files; each change is detected and named, by the hash chains
alone where they can see it, and against a seal."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import nats
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nats.aio.client import Client

from events.subjects import Subjects
from projections.audit.verify import verify_log
from projections.consumer import EventLog
from seals.seal import Seal
from services.adapters.clock import now_utc
from services.adapters.embedded import EmbeddedNats
from services.adapters.event_store import EventStore
from services.adapters.seal_key import SealKeys
from services.adapters.seal_store import SealStore
from services.adapters.stream import StreamSettings, ensure_stream
from services.application.sealing.service import Sealing
from tests.faults import tampering as t

pytestmark = pytest.mark.integration
TENANT = "acme"


@dataclass
class Store:
    """One copy of a store: its event stream, its seal stream, what reads and seals them."""

    nc: Client
    settings: StreamSettings
    log: EventLog
    sealing: Sealing

    async def history(self) -> list[t.Stored]:
        """The tenant's stored messages, in stream order."""
        return [
            t.Stored(e.subject, e.body, e.hash or "")
            async for batch in self.log.scan(self.log.subjects.tenant(TENANT))
            for e in batch
        ]


def attach(nc: Client, settings: StreamSettings, keys: SealKeys, timeout_s: float = 5.0) -> Store:
    """The store whose event stream is ``settings``' (its seals beside it)."""
    log = EventLog(nc, settings.name, settings.subjects, timeout_s)
    seals = SealStore(nc, f"{settings.name}_SEALS", settings.subjects)
    return Store(nc, settings, log, Sealing(log, seals, lambda: keys, now_utc))


async def open_store(nc: Client) -> Store:
    """A new store with ORDER written through the service's event store."""
    subjects = Subjects(f"s{uuid.uuid4().hex[:12]}")
    settings = StreamSettings(f"OKR_{subjects.root.upper()}", subjects)
    await ensure_stream(nc, settings)
    opened = attach(nc, settings, SealKeys(Ed25519PrivateKey.generate()))
    await opened.sealing.store.ensure_stream()
    await t.write_history(EventStore(nc, settings.name, subjects), TENANT)
    return opened


@pytest.fixture
async def store(nats_client: Client) -> AsyncIterator[Store]:
    """A sealed-able store on the session's server; its streams are dropped afterwards."""
    opened = await open_store(nats_client)
    yield opened
    js = nats_client.jetstream()
    for name in (opened.settings.name, f"{opened.settings.name}_SEALS"):
        await js.delete_stream(name)


async def chain_findings(store: Store) -> list[tuple[str, int]]:
    report = await verify_log(store.log, store.log.subjects.tenant(TENANT))
    return [(f.problem, f.stream_sequence) for f in report.findings]


async def seal_findings(store: Store, seal: Seal) -> list[tuple[str, int | None]]:
    check = await store.sealing.verify_against(TENANT, seal)
    return [(f.problem, f.position) for f in check.findings]


# tampering, what the hash chains alone report (problem, position), what a seal reports
CASES = [
    (t.altered_hash_kept, ("altered", 3), ("rewritten", 3)),
    (t.altered_hash_recomputed, ("rehashed", 3), ("rewritten", 3)),
    (t.last_event_dropped, None, ("dropped", 6)),
    (t.last_event_rehashed, None, ("rewritten", 6)),
    (t.aggregate_removed, None, ("dropped", 2)),
    (t.reordered, None, ("reordered", 3)),
    (t.one_value_rewritten, None, ("rewritten", 3)),
]


@pytest.mark.parametrize(
    ("tamper", "by_chain", "by_seal"), CASES, ids=lambda c: getattr(c, "__name__", "")
)
async def test_a_recreated_stream_is_caught_where_it_was_changed(
    store: Store,
    tamper: t.Tampering,
    by_chain: tuple[str, int] | None,
    by_seal: tuple[str, int],
) -> None:
    sealed = await store.sealing.seal(TENANT)
    assert sealed is not None
    original = await store.history()

    await t.recreate(store.nc, store.settings, tamper(original))

    # Stream sequences of the copy restart at 1: position p is sequence p + 1.
    chain = await chain_findings(store)
    assert chain[:1] == ([] if by_chain is None else [(by_chain[0], by_chain[1] + 1)])
    assert by_chain is not None or chain == []
    assert await seal_findings(store, sealed.seal) == [by_seal]
    stored = await store.sealing.verify_stored(TENANT)
    assert stored.against_latest is not None
    assert [(f.problem, f.position) for f in stored.against_latest.findings] == [by_seal]


async def test_an_identical_copy_passes_against_the_seal_and_later_events_extend_it(
    store: Store,
) -> None:
    sealed = await store.sealing.seal(TENANT)
    assert sealed is not None

    await t.recreate(store.nc, store.settings, await store.history())
    check = await store.sealing.verify_against(TENANT, sealed.seal)

    assert check.ok, check.findings
    assert (check.tree_size, check.log_size) == (8, 8)


async def test_the_seal_chain_holds_across_seals_and_names_a_forged_seal(store: Store) -> None:
    first = await store.sealing.seal(TENANT)
    second = await store.sealing.seal(TENANT)
    assert first is not None
    assert second is not None

    chain = await store.sealing.verify_stored(TENANT)

    assert chain.ok, chain
    assert chain.seals_checked == 2
    assert second.seal.previous_seal == first.seal.seal_id
    forged = Seal.from_dict({**first.seal.to_dict(), "tree_size": 7})
    assert [f.problem for f in (await store.sealing.verify_against(TENANT, forged)).findings] == [
        "signature",
        "differs",
    ]


async def test_a_block_file_edited_on_a_copy_is_named_by_its_stream_sequence(
    fault_dir: Path,
) -> None:
    with EmbeddedNats(fault_dir / "original") as server:
        nc = await nats.connect(server.url)
        original = await open_store(nc)
        sealed = await original.sealing.seal(TENANT)
        assert sealed is not None
        await nc.close()
    shutil.copytree(fault_dir / "original", fault_dir / "copy")
    [block] = (fault_dir / "copy").rglob(f"{original.settings.name}/msgs/*.blk")
    data = block.read_bytes()
    at = data.index(b'"reason":"v2"')  # g1's second event, stream sequence 4
    block.write_bytes(data[:at] + b'"reason":"x2"' + data[at + 13 :])

    with EmbeddedNats(fault_dir / "copy") as server:
        nc = await nats.connect(server.url)
        try:
            # A stalled scan is how the damage shows: a short wait keeps the test quick.
            copy = attach(nc, original.settings, original.sealing.keys, timeout_s=1.0)
            chain = await chain_findings(copy)
            check = await copy.sealing.verify_against(TENANT, sealed.seal)
        finally:
            await nc.close()

    # g1's chain then misses its second version, at its third event.
    assert chain == [("unreadable", 4), ("missing", 7)]
    assert [(f.problem, f.stream_sequence, f.position) for f in check.findings] == [
        ("unreadable", 4, None),
        ("dropped", 5, 3),
    ]
