"""A seal: a signed tree head over one tenant's events, and how to sign and check it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from seals.merkle import MerkleTree

SEAL_FORMAT: Final = "okr-seal/1"
KEY_ID_HEX_CHARS: Final = 16


class UnreadableSeal(ValueError):
    """A seal document that is not a seal (missing or mistyped fields)."""


def public_key_hex(key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key, hex."""
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def key_id_of(public_key: str) -> str:
    """A key's id: the first 16 hex digits of SHA-256 over its raw bytes."""
    return hashlib.sha256(bytes.fromhex(public_key)).hexdigest()[:KEY_ID_HEX_CHARS]


def canonical(document: dict[str, Any]) -> bytes:
    """Sorted keys, no spaces, ASCII: the bytes that are hashed and signed."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


# Each hex field of a seal and its length in hex digits (the signature may still be empty).
HEX_FIELDS: Final = {"root": 64, "previous_seal": 64, "key_id": KEY_ID_HEX_CHARS, "public_key": 64}


def _is_hex(value: str, digits: int) -> bool:
    return len(value) == digits and all(c in "0123456789abcdef" for c in value)


@dataclass(frozen=True)
class Seal:
    """A signed tree head: the root of the tenant's first ``tree_size`` events in stream order."""

    tenant: str
    tree_size: int
    root: str  # hex
    last_sequence: int  # stream sequence of the last sealed event (0: none)
    sealed_at: str  # ISO 8601, UTC
    trigger: str  # on_demand | schedule | cycle_closed:<cycle id>
    previous_seal: str | None  # seal_id of the tenant's seal before this one
    key_id: str
    public_key: str  # hex, raw Ed25519
    signature: str = ""  # hex, Ed25519 over signed_bytes()
    format: str = SEAL_FORMAT

    def signed_bytes(self) -> bytes:
        """Every field but the signature, canonical JSON."""
        body = asdict(self)
        del body["signature"]
        return canonical(body)

    @property
    def seal_id(self) -> str:
        """SHA-256 of the signed bytes, hex: what the next seal names as its previous."""
        return hashlib.sha256(self.signed_bytes()).hexdigest()

    def signed(self, key: Ed25519PrivateKey) -> Seal:
        """This seal signed with ``key`` (its key id and public key filled in)."""
        public = public_key_hex(key.public_key())
        unsigned = replace(self, key_id=key_id_of(public), public_key=public, signature="")
        return replace(unsigned, signature=key.sign(unsigned.signed_bytes()).hex())

    def signature_problem(self) -> str | None:
        """Why the signature does not hold (None: it does, by the key the seal names)."""
        try:
            if key_id_of(self.public_key) != self.key_id:
                return f"key id {self.key_id} is not the id of the public key it carries"
            key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(self.public_key))
            key.verify(bytes.fromhex(self.signature), self.signed_bytes())
        except (ValueError, InvalidSignature):
            return f"the signature does not verify with key {self.key_id}"
        return None

    def tree_of(self, leaves: Sequence[bytes]) -> MerkleTree | None:
        """The tree of ``leaves`` if they are the ones this seal signed (their number and
        root), else None: a kept copy of the leaves is trusted only then."""
        if len(leaves) != self.tree_size:
            return None
        tree = MerkleTree(leaves)
        return tree if tree.root().hex() == self.root else None

    def to_json(self) -> str:
        """The seal as an auditor keeps it."""
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """The seal's fields."""
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: object) -> Seal:
        """Read a seal document; raises UnreadableSeal."""
        if not isinstance(raw, dict):
            raise UnreadableSeal("a seal is a JSON object")
        types = {"tree_size": int, "last_sequence": int}
        values: dict[str, Any] = {}
        for f in fields(cls):
            value = raw.get(f.name)
            if f.name == "previous_seal" and value is None:
                values[f.name] = None
                continue
            wanted = types.get(f.name, str)
            if not isinstance(value, wanted) or isinstance(value, bool):
                raise UnreadableSeal(f"seal field {f.name!r} must be {wanted.__name__}")
            values[f.name] = value
        if values["format"] != SEAL_FORMAT:
            raise UnreadableSeal(f"seal format {values['format']!r} is not {SEAL_FORMAT}")
        for name, size in HEX_FIELDS.items():
            value = values[name]
            if value is not None and not _is_hex(value, size):
                raise UnreadableSeal(f"seal field {name!r} must be {size} hex digits")
        return cls(**values)

    @classmethod
    def from_json(cls, text: str | bytes) -> Seal:
        """Parse a seal file; raises UnreadableSeal."""
        try:
            return cls.from_dict(json.loads(text))
        except ValueError as exc:
            if isinstance(exc, UnreadableSeal):
                raise
            raise UnreadableSeal(f"not JSON: {exc}") from None
