"""Times sealing one tenant's quarter: the Merkle tree alone, and reading plus sealing.

python -m benchmarks.seal [--events 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

import nats
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from benchmarks.replay import TENANT, fill_quarter
from projections.consumer import EventLog
from seals.entry import event_leaf
from seals.merkle import MerkleTree
from services.adapters.clock import now_utc
from services.adapters.seal_key import SealKeys
from services.adapters.seal_store import SealStore
from services.adapters.servers import resolve_servers
from services.application.sealing.service import Sealing
from services.application.sealing.tenant_log import read_leaves
from services.settings import Settings


def merkle_only(events: int) -> dict[str, float]:
    """Leaf hashes of ``events`` event-sized entries, then the tree over them (no I/O)."""
    body = os.urandom(420)
    subject = "okr.bench.objective.g-000123.check_in.recorded"
    okr_hash = "ab" * 32
    started = time.perf_counter()
    leaves = [event_leaf(subject, okr_hash, body + i.to_bytes(4, "big")) for i in range(events)]
    hashed = time.perf_counter()
    MerkleTree(leaves).root()
    done = time.perf_counter()
    return {"leaf_hashes_s": hashed - started, "tree_s": done - hashed}


async def end_to_end(events: int) -> dict[str, float]:
    """Fill a stream with a quarter, then read it alone, then seal it (read, tree, store)."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Settings.from_env()
        settings = Settings(
            nats_url=base.nats_url, database_url=base.database_url, data_dir=Path(tmp)
        )
        async with resolve_servers(settings) as (nats_url, _):
            nc = await nats.connect(nats_url)
            subjects, stream, stored = await fill_quarter(nc, events)
            log = EventLog(nc, stream, subjects)
            store = SealStore(nc, Settings(stream_name=stream).seals, subjects)
            await store.ensure_stream()
            keys = SealKeys(Ed25519PrivateKey.generate())
            sealing = Sealing(log, store, lambda: keys, now_utc)
            started = time.perf_counter()
            read = await read_leaves(log, TENANT)
            read_s = time.perf_counter() - started
            started = time.perf_counter()
            sealed = await sealing.seal(TENANT)
            seal_s = time.perf_counter() - started
            await nc.close()
    assert sealed is not None
    return {
        "events": float(stored),
        "sealed": float(sealed.seal.tree_size),
        "read_leaves_s": read_s,
        "seal_s": seal_s,
        "read_events_per_s": len(read.leaves) / read_s,
    }


def cli() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--merkle-only", action="store_true")
    args = parser.parse_args()
    row: dict[str, float] = merkle_only(args.events)
    print(json.dumps(row), flush=True)
    if not args.merkle_only:
        print(json.dumps(asyncio.run(end_to_end(args.events))))


if __name__ == "__main__":
    cli()
