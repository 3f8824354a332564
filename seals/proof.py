"""An inclusion proof: one stored event, its audit path, and the checks a third party runs."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict, dataclass, fields
from typing import Any, Final

from seals.entry import event_leaf
from seals.merkle import verify_inclusion
from seals.seal import Seal

PROOF_FORMAT: Final = "okr-inclusion-proof/1"


class UnreadableProof(ValueError):
    """A proof document that is not a proof."""


@dataclass(frozen=True)
class InclusionProof:
    """Leaf ``leaf_index`` of the sealed tree is this event; ``path`` leads to the root."""

    tenant: str
    event_id: str
    leaf_index: int
    tree_size: int
    root: str  # hex: the sealed root this path leads to
    seal_id: str
    stream_sequence: int
    subject: str
    okr_hash: str
    body: str  # base64 of the stored body, byte for byte
    path: tuple[str, ...]  # hex, bottom-up (RFC 9162 audit path)
    format: str = PROOF_FORMAT

    def to_json(self) -> str:
        """The proof as a file."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """The proof's fields."""
        raw = asdict(self)
        raw["path"] = list(self.path)
        return raw

    @classmethod
    def from_json(cls, text: str | bytes) -> InclusionProof:
        """Parse a proof file; raises UnreadableProof."""
        try:
            raw = json.loads(text)
        except ValueError as exc:
            raise UnreadableProof(f"not JSON: {exc}") from None
        if not isinstance(raw, dict) or raw.get("format") != PROOF_FORMAT:
            raise UnreadableProof(f"a proof is a JSON object of format {PROOF_FORMAT}")
        values: dict[str, Any] = {}
        for f in fields(cls):
            value = raw.get(f.name)
            if f.name == "path":
                if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
                    raise UnreadableProof("proof field 'path' must be a list of hex hashes")
                value = tuple(value)
            elif f.name in ("leaf_index", "tree_size", "stream_sequence"):
                if not isinstance(value, int) or isinstance(value, bool):
                    raise UnreadableProof(f"proof field {f.name!r} must be an integer")
            elif not isinstance(value, str):
                raise UnreadableProof(f"proof field {f.name!r} must be text")
            values[f.name] = value
        return cls(**values)


def proof_problems(proof: InclusionProof, seal: Seal, trusted_key_id: str | None) -> list[str]:
    """Everything that keeps ``proof`` from showing its event is in ``seal`` (empty: it is)."""
    problems: list[str] = []
    signature = seal.signature_problem()
    if signature:
        problems.append(f"seal: {signature}")
    if trusted_key_id is not None and seal.key_id != trusted_key_id:
        problems.append(f"seal: signed by key {seal.key_id}, not the trusted {trusted_key_id}")
    if (proof.tenant, proof.tree_size, proof.root) != (seal.tenant, seal.tree_size, seal.root):
        problems.append(
            f"the proof is for tenant {proof.tenant}'s tree of {proof.tree_size} with root "
            f"{proof.root}; the seal is of tenant {seal.tenant}'s tree of {seal.tree_size} "
            f"with root {seal.root}"
        )
    try:
        body = base64.b64decode(proof.body, validate=True)
        path = [bytes.fromhex(p) for p in proof.path]
        root = bytes.fromhex(seal.root)
    except (ValueError, binascii.Error) as exc:
        return [*problems, f"the proof's body, path or root is not well formed: {exc}"]
    if event_id_of(body) != proof.event_id:
        problems.append(f"the proven body is not event {proof.event_id}")
    leaf = event_leaf(proof.subject, proof.okr_hash or None, body)
    if not verify_inclusion(leaf, proof.leaf_index, seal.tree_size, path, root):
        problems.append(
            f"the path does not lead from leaf {proof.leaf_index} to the sealed root: "
            "the event, its position or the path was changed"
        )
    return problems


def event_id_of(body: bytes) -> str | None:
    """The ``event_id`` a stored body names, if it is JSON that names one."""
    try:
        raw = json.loads(body)
    except ValueError:
        return None
    value = raw.get("event_id") if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None


def load_pair(proof_text: str | bytes, seal_text: str | bytes) -> tuple[InclusionProof, Seal]:
    """Both files parsed (raises UnreadableProof or UnreadableSeal)."""
    return InclusionProof.from_json(proof_text), Seal.from_json(seal_text)
