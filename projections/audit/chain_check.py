"""Checks the hash chains of stored events, one message at a time (pure; no I/O)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

import pydantic_core

from events.chain import GENESIS, event_hash

Problem = Literal[
    "altered", "rehashed", "missing", "duplicated", "reordered", "broken_link", "unreadable"
]
AggregateKey = tuple[str, str, str]


@dataclass(frozen=True)
class Finding:
    """One event that breaks its aggregate's chain, and where it is."""

    problem: Problem
    stream_sequence: int
    subject: str
    aggregate: str
    aggregate_version: int | None
    detail: str


@dataclass(frozen=True)
class _Head:
    version: int
    hash: str
    prev_hash: str | None
    sequence: int = 0
    subject: str = ""
    self_consistent: bool = True  # its stored hash is the hash of its body


@dataclass
class ChainCheck:
    """Feed it every stored event in stream order; it records what breaks a chain."""

    findings: list[Finding] = field(default_factory=list)
    events: int = 0
    _heads: dict[AggregateKey, _Head] = field(default_factory=dict)

    def add(self, stream_sequence: int, subject: str, body: bytes, stored_hash: str | None) -> None:
        """Check one stored event against the chain of its aggregate so far."""
        self.events += 1
        try:
            raw = pydantic_core.from_json(body)
            key: AggregateKey = (raw["tenant_id"], raw["aggregate_type"], raw["aggregate_id"])
            version = int(raw["aggregate_version"])
            prev_hash = raw.get("prev_hash")
            # Anything but text here would break the walk further on (hashing, joining).
            if not all(isinstance(v, str) for v in key) or not isinstance(prev_hash, str | None):
                raise TypeError("tenant, aggregate and prev_hash must be text")
        except (ValueError, KeyError, TypeError, OverflowError) as exc:
            self._find("unreadable", stream_sequence, subject, "?", None, str(exc))
            return
        where = (stream_sequence, subject, "/".join(key), version)
        head = self._heads.get(key, _Head(0, GENESIS, None))
        actual = event_hash(prev_hash or GENESIS, body)
        if stored_hash != actual:
            self._find("altered", *where, f"the body hashes to {actual}, stored: {stored_hash}")
        if version == head.version and prev_hash == head.prev_hash:
            self._find("duplicated", *where, f"version {version} is stored a second time")
            return
        if version <= head.version:
            self._find("reordered", *where, f"version {version} after version {head.version}")
            return
        if version > head.version + 1:
            missing = f"{head.version + 1}..{version - 1}"
            self._find("missing", *where, f"versions {missing} are not in the stream")
        elif prev_hash != head.hash:
            if head.self_consistent and stored_hash == actual:
                # Both hash as stored, yet this one links to another hash: the event before
                # was rewritten and its Okr-Hash recomputed (or this link was forged).
                # Named where the change most likely is, then the link itself.
                self._find(
                    "rehashed",
                    head.sequence,
                    head.subject,
                    where[2],
                    head.version,
                    f"its body and Okr-Hash {head.hash} agree, but the next event (stream "
                    f"sequence {stream_sequence}) links to {prev_hash}: this event was "
                    "rewritten and re-hashed, or that link was",
                )
            self._find("broken_link", *where, f"prev_hash {prev_hash} is not {head.hash}")
        self._heads[key] = _Head(
            version,
            stored_hash or actual,
            prev_hash,
            stream_sequence,
            subject,
            stored_hash == actual,
        )

    def _find(
        self,
        problem: Problem,
        seq: int,
        subject: str,
        aggregate: str,
        version: int | None,
        detail: str,
    ) -> None:
        self.findings.append(Finding(problem, seq, subject, aggregate, version, detail))

    def unreadable(self, stream_sequence: int, detail: str) -> None:
        """A stored message the server cannot load (its tenant and subject are unknown)."""
        self._find("unreadable", stream_sequence, "?", "?", None, detail)

    def in_stream_order(self) -> list[Finding]:
        """The findings sorted by stream sequence (a re-hashed event is found one late)."""
        return sorted(self.findings, key=lambda f: f.stream_sequence)

    def tenant_heads(self) -> dict[str, str]:
        """Per tenant, a digest of every aggregate's last hash: equal logs, equal heads."""
        lines: dict[str, list[str]] = {}
        for (tenant, kind, aggregate), head in sorted(self._heads.items()):
            lines.setdefault(tenant, []).append(f"{kind}/{aggregate}:{head.version}:{head.hash}")
        return {t: hashlib.sha256("\n".join(ls).encode()).hexdigest() for t, ls in lines.items()}
