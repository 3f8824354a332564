"""The hash chain of an aggregate's events: each event's hash covers its stored bytes,
which include the previous event's hash (``prev_hash``)."""

from __future__ import annotations

import hashlib

GENESIS = ""  # prev_hash of an aggregate's first event


def event_hash(prev_hash: str, body: bytes) -> str:
    """sha256 over the previous hash and this event's exact stored JSON body."""
    digest = hashlib.sha256(prev_hash.encode())
    digest.update(b"\n")
    digest.update(body)
    return digest.hexdigest()
