"""What a leaf of a tenant's tree commits to: one stored event, byte for byte.

entry = subject (UTF-8) || 0x0A || Okr-Hash header (ASCII hex, empty if absent) || 0x0A || body

The body is the exact stored message body (whatever its fields hold, encrypted or not), so
a seal covers what the store keeps, not a decoding of it. Neither the subject nor the hash
header can hold a newline, so the three parts cannot be shifted into one another.
"""

from __future__ import annotations

from seals.merkle import leaf_hash


def event_entry(subject: str, okr_hash: str | None, body: bytes) -> bytes:
    """The leaf entry of one stored event."""
    return b"".join((subject.encode(), b"\n", (okr_hash or "").encode(), b"\n", body))


def event_leaf(subject: str, okr_hash: str | None, body: bytes) -> bytes:
    """The leaf hash of one stored event: SHA-256(0x00 || entry)."""
    return leaf_hash(event_entry(subject, okr_hash, body))
