"""Where the seal signing key comes from: the environment, else a 0600 file in the data dir."""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from seals.seal import key_id_of, public_key_hex
from services.adapters.private_file import create_once
from services.settings import Settings

KEY_FILE = "seal-key"
SEED_BYTES = 32


class UnusableSealKey(Exception):
    """The signing key is malformed, or its file is readable by others."""


@dataclass(frozen=True)
class SealKeys:
    """The key that signs new seals, and the public keys of the ones it replaced."""

    signing: Ed25519PrivateKey
    retired: tuple[str, ...] = ()

    @property
    def public_key(self) -> str:
        """The current public key, hex."""
        return public_key_hex(self.signing.public_key())

    @property
    def key_id(self) -> str:
        """The current key's id, as seals name it."""
        return key_id_of(self.public_key)

    def public(self) -> dict[str, object]:
        """What an auditor pins: the algorithm, the current key and its id, retired keys."""
        return {
            "algorithm": "Ed25519",
            "key_id": self.key_id,
            "public_key": self.public_key,
            "retired": list(self.retired),
        }

    def known(self) -> dict[str, str]:
        """Key id -> public key of every key this deployment has signed with."""
        return {key_id_of(k): k for k in (*self.retired, self.public_key)}


def _from_hex(text: str, where: str) -> Ed25519PrivateKey:
    try:
        seed = bytes.fromhex(text.strip())
    except ValueError:
        seed = b""
    if len(seed) != SEED_BYTES:
        raise UnusableSealKey(f"the seal key in {where} must be {SEED_BYTES} bytes in hex")
    return Ed25519PrivateKey.from_private_bytes(seed)


def _new_seed() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption()
    )


def seal_keys(settings: Settings) -> SealKeys:
    """``OKR_SEAL_KEY`` if set, else the data dir's key (created on first use, mode 0600)."""
    for retired in settings.seal_retired_keys:
        if len(retired) != 2 * SEED_BYTES:
            raise UnusableSealKey(f"OKR_SEAL_RETIRED_KEYS: {retired!r} is not a hex public key")
    if settings.seal_key:
        return SealKeys(_from_hex(settings.seal_key, "OKR_SEAL_KEY"), settings.seal_retired_keys)
    path = Path(settings.data_dir) / KEY_FILE
    create_once(path, lambda: _new_seed().hex() + "\n")
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise UnusableSealKey(f"{path} is readable by others: chmod 600 {path}")
    return SealKeys(_from_hex(path.read_text(), str(path)), settings.seal_retired_keys)
