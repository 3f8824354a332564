"""One personal text sealed with AES-256-GCM under its data subject's key, and opened again.

The stored form of a sealed text is a JSON object, never a string, so a person's text can
never be mistaken for ciphertext::

    {"enc": "aes-256-gcm", "kid": "k_<32 hex>", "nonce": "<base64url, 12 bytes>",
     "ct": "<base64url: ciphertext and 16-byte tag>"}

The associated data binds the tenant and the key id, so a sealed value copied into another
tenant's event, or relabelled with another key id, does not open.
"""

from __future__ import annotations

import base64
import os
import re
from functools import lru_cache
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ALGORITHM: Final = "aes-256-gcm"
KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
KID_PATTERN: Final = r"^k_[0-9a-f]{32}$"
_KID = re.compile(KID_PATTERN)
_FIELDS: Final = frozenset({"enc", "kid", "nonce", "ct"})
SEALED_FIELD_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "title": "SealedField",
    "description": "a personal text encrypted under its data subject's key (docs/events.md)",
    "properties": {
        "enc": {"const": ALGORITHM},
        "kid": {"type": "string", "pattern": KID_PATTERN},
        "nonce": {"type": "string", "description": "base64url, 12 bytes"},
        "ct": {"type": "string", "description": "base64url: ciphertext then the 16-byte tag"},
    },
    "required": sorted(_FIELDS),
    "additionalProperties": False,
}


class UnopenableField(ValueError):
    """A sealed field that is malformed, or whose tag does not verify under its key."""


def new_kid() -> str:
    """A fresh, random key id (it says nothing about whose key it is)."""
    return "k_" + os.urandom(16).hex()


def new_key() -> bytes:
    """A fresh random 256-bit key."""
    return AESGCM.generate_key(bit_length=8 * KEY_BYTES)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _associated(tenant_id: str, kid: str) -> bytes:
    return f"okr-ledger/{tenant_id}/{kid}".encode()


def is_sealed(value: object) -> bool:
    """Whether ``value`` has the shape of a sealed field."""
    return isinstance(value, dict) and value.get("enc") == ALGORITHM and set(value) == _FIELDS


def seal_text(
    plaintext: str, tenant_id: str, kid: str, key: bytes, nonce: bytes | None = None
) -> dict[str, str]:
    """``plaintext`` sealed under ``key`` (a fresh random nonce unless one is given)."""
    nonce = nonce if nonce is not None else os.urandom(NONCE_BYTES)
    ct = AESGCM(key).encrypt(nonce, plaintext.encode(), _associated(tenant_id, kid))
    return {"enc": ALGORITHM, "kid": kid, "nonce": _b64(nonce), "ct": _b64(ct)}


def kid_of(sealed: dict[str, Any]) -> str:
    """The key id a sealed field names, checked for shape."""
    kid = sealed.get("kid")
    if not isinstance(kid, str) or _KID.fullmatch(kid) is None:
        raise UnopenableField("a sealed field names no valid key id")
    return kid


@lru_cache(maxsize=256)
def _opener(key: bytes) -> AESGCM:
    # Setting a cipher up costs half of opening one short text with it (measured), and a
    # reader opens many texts under each key it was given. The key was handed over by the
    # reader's key ring for this call; a destroyed key is never handed over, so caching the
    # cipher opens nothing more, it only keeps recent keys in memory a little longer.
    return AESGCM(key)


def open_text(sealed: dict[str, Any], tenant_id: str, key: bytes) -> str:
    """The plaintext of a sealed field; raises UnopenableField when it does not verify."""
    kid = kid_of(sealed)
    try:
        nonce, ct = _unb64(str(sealed["nonce"])), _unb64(str(sealed["ct"]))
        plain = _opener(key).decrypt(nonce, ct, _associated(tenant_id, kid))
    except (InvalidTag, ValueError, KeyError) as exc:
        raise UnopenableField(f"sealed field under {kid} does not open") from exc
    return plain.decode()
