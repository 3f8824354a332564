"""Seals and inclusion proofs as documents: Ed25519 (RFC 8032 vectors), signed bytes, checks."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from seals.entry import event_leaf
from seals.merkle import MerkleTree
from seals.proof import InclusionProof, proof_problems
from seals.seal import Seal, UnreadableSeal, key_id_of, public_key_hex

RFC8032 = [  # section 7.1, TEST 1 and TEST 2: (secret key, public key, message, signature)
    ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
]  # fmt: skip
DOCS = Path(__file__).parents[2] / "docs" / "audit.md"
KEY = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(RFC8032[0][0]))


@pytest.mark.parametrize(("secret", "public", "message", "signature"), RFC8032)
def test_ed25519_signs_as_rfc_8032_says(
    secret: str, public: str, message: str, signature: str
) -> None:
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(secret))

    assert public_key_hex(key.public_key()) == public
    assert key.sign(bytes.fromhex(message)).hex() == signature


def events(n: int) -> list[tuple[str, str, bytes]]:
    """Stored events as (subject, Okr-Hash, body)."""
    return [
        (f"okr.acme.objective.g{i % 3}.check_in.recorded", f"{i:064x}",
         json.dumps({"event_id": f"e-{i}", "value": i}).encode())
        for i in range(n)
    ]  # fmt: skip


def sealed(stored: list[tuple[str, str, bytes]]) -> tuple[Seal, MerkleTree]:
    tree = MerkleTree([event_leaf(*e) for e in stored])
    seal = Seal(
        tenant="acme",
        tree_size=tree.size,
        root=tree.root().hex(),
        last_sequence=40 + tree.size,
        sealed_at="2026-12-01T09:00:00+00:00",
        trigger="on_demand",
        previous_seal=None,
        key_id="",
        public_key="",
    ).signed(KEY)
    return seal, tree


def proof_of(index: int, stored: list[tuple[str, str, bytes]]) -> tuple[InclusionProof, Seal]:
    seal, tree = sealed(stored)
    subject, okr_hash, body = stored[index]
    proof = InclusionProof(
        tenant="acme",
        event_id=f"e-{index}",
        leaf_index=index,
        tree_size=seal.tree_size,
        root=seal.root,
        seal_id=seal.seal_id,
        stream_sequence=41 + index,
        subject=subject,
        okr_hash=okr_hash,
        body=base64.b64encode(body).decode(),
        path=tuple(p.hex() for p in tree.inclusion_proof(index)),
    )
    return proof, seal


def test_a_signed_seal_verifies_and_round_trips_through_its_file() -> None:
    seal, _ = sealed(events(5))

    again = Seal.from_json(seal.to_json())

    assert again == seal
    assert again.signature_problem() is None
    assert seal.key_id == key_id_of(RFC8032[0][1])


def test_any_changed_field_breaks_the_signature() -> None:
    seal, _ = sealed(events(5))

    for change in ({"tree_size": 4}, {"root": "00" * 32}, {"tenant": "other"},
                   {"last_sequence": 1}, {"sealed_at": "2027-01-01T00:00:00+00:00"}):  # fmt: skip
        assert replace(seal, **change).signature_problem() is not None  # type: ignore[arg-type]
    other = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(RFC8032[1][0]))
    foreign_key = replace(seal, public_key=public_key_hex(other.public_key()))
    assert "key id" in (foreign_key.signature_problem() or "")


def test_a_document_that_is_not_a_seal_is_refused_by_name() -> None:
    seal, _ = sealed(events(2))
    raw = seal.to_dict()

    with pytest.raises(UnreadableSeal, match="tree_size"):
        Seal.from_dict({**raw, "tree_size": "2"})
    with pytest.raises(UnreadableSeal, match="format"):
        Seal.from_dict({**raw, "format": "x"})
    with pytest.raises(UnreadableSeal, match="JSON"):
        Seal.from_json("{")


def test_an_inclusion_proof_holds_offline_and_is_logarithmic() -> None:
    stored = events(1000)

    proof, seal = proof_of(617, stored)

    assert proof_problems(InclusionProof.from_json(proof.to_json()), seal, seal.key_id) == []
    assert len(proof.path) == 10


def test_a_proof_of_a_changed_event_or_position_fails() -> None:
    stored = events(9)
    proof, seal = proof_of(4, stored)
    forged_body = base64.b64encode(json.dumps({"event_id": "e-4", "value": 99}).encode())

    assert proof_problems(replace(proof, body=forged_body.decode()), seal, None)
    assert proof_problems(replace(proof, leaf_index=5), seal, None)
    assert proof_problems(replace(proof, okr_hash="f" * 64), seal, None)
    assert proof_problems(replace(proof, event_id="e-5"), seal, None)
    assert proof_problems(proof, seal, "0" * 16) == [
        f"seal: signed by key {seal.key_id}, not the trusted {'0' * 16}"
    ]


def docs_snippet() -> str:
    """The Python block of docs/audit.md that checks a proof by hand."""
    text = DOCS.read_text()
    start = text.index("```python\n", text.index("## Checking a proof by hand")) + 10
    return text[start : text.index("```", start)]


def run_snippet(folder: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-I", "check.py", "proof.json", "seal.json"]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)


def test_the_documented_snippet_checks_a_proof_with_cryptography_and_hashlib(
    tmp_path: Path,
) -> None:
    proof, seal = proof_of(6, events(11))
    (tmp_path / "check.py").write_text(docs_snippet())
    (tmp_path / "seal.json").write_text(seal.to_json())
    (tmp_path / "proof.json").write_text(proof.to_json())

    assert run_snippet(tmp_path).returncode == 0
    (tmp_path / "proof.json").write_text(replace(proof, leaf_index=5).to_json())
    assert run_snippet(tmp_path).returncode == 1
    (tmp_path / "proof.json").write_text(proof.to_json())
    (tmp_path / "seal.json").write_text(replace(seal, tree_size=10).to_json())
    assert run_snippet(tmp_path).returncode == 1
