"""Merkle hashing and proofs against the RFC 6962 / RFC 9162 reference vectors, and against
a direct transcription of the RFC's recursive definitions for every size up to 40."""

from __future__ import annotations

import hashlib

import pytest

from seals.merkle import (
    MerkleTree,
    ProofError,
    empty_root,
    leaf_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)

# The leaves and tree heads of the Certificate Transparency reference tests.
ENTRIES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243",
           "5051525354555657", "606162636465666768696a6b6c6d6e6f")]  # fmt: skip
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (2, 8, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
LEAVES = [leaf_hash(e) for e in ENTRIES]


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def rfc_mth(entries: list[bytes]) -> bytes:
    """MTH as RFC 9162 section 2.1.1 defines it, recursively on the entries."""
    n = len(entries)
    if n == 0:
        return _h(b"")
    if n == 1:
        return _h(b"\x00" + entries[0])
    k = 1 << ((n - 1).bit_length() - 1)
    return _h(b"\x01" + rfc_mth(entries[:k]) + rfc_mth(entries[k:]))


def rfc_path(m: int, entries: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 section 2.1.3.1."""
    n = len(entries)
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return [*rfc_path(m, entries[:k]), rfc_mth(entries[k:])]
    return [*rfc_path(m - k, entries[k:]), rfc_mth(entries[:k])]


def rfc_subproof(m: int, entries: list[bytes], whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of RFC 9162 section 2.1.4.1."""
    n = len(entries)
    if m == n:
        return [] if whole else [rfc_mth(entries)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*rfc_subproof(m, entries[:k], whole), rfc_mth(entries[k:])]
    return [*rfc_subproof(m - k, entries[k:], False), rfc_mth(entries[:k])]


def test_the_reference_roots_of_every_size_0_to_8() -> None:
    assert empty_root().hex() == ROOTS[0]
    for size in range(len(ENTRIES) + 1):
        assert root_of(LEAVES[:size]).hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_the_reference_inclusion_proofs(index: int, size: int, path: list[str]) -> None:
    proof = MerkleTree(LEAVES).inclusion_proof(index, size)

    assert [p.hex() for p in proof] == path
    root = bytes.fromhex(ROOTS[size])
    assert verify_inclusion(LEAVES[index], index, size, proof, root)


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY)
def test_the_reference_consistency_proofs(old: int, new: int, path: list[str]) -> None:
    proof = MerkleTree(LEAVES).consistency_proof(old, new)

    assert [p.hex() for p in proof] == path
    old_root, new_root = bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new])
    assert verify_consistency(old, new, old_root, new_root, proof)


def test_every_size_agrees_with_the_rfc_definitions_and_every_proof_verifies() -> None:
    entries = [i.to_bytes(2, "big") * (i % 3) for i in range(40)]
    leaves = [leaf_hash(e) for e in entries]
    tree = MerkleTree(leaves)
    for size in range(1, len(entries) + 1):
        root = rfc_mth(entries[:size])
        assert MerkleTree(leaves[:size]).root() == root
        for index in range(size):
            path = tree.inclusion_proof(index, size)
            assert path == rfc_path(index, entries[:size])
            assert verify_inclusion(leaves[index], index, size, path, root)
        for old in range(1, size + 1):
            proof = tree.consistency_proof(old, size)
            assert proof == (rfc_subproof(old, entries[:size], True) if old < size else [])
            assert verify_consistency(old, size, rfc_mth(entries[:old]), root, proof)


def test_a_changed_leaf_path_or_size_does_not_verify() -> None:
    tree = MerkleTree(LEAVES)
    root = tree.root()
    path = tree.inclusion_proof(5)
    bent = [path[0], bytes(32), *path[2:]]

    assert not verify_inclusion(LEAVES[4], 5, 8, path, root)
    assert not verify_inclusion(LEAVES[5], 5, 8, bent, root)
    assert not verify_inclusion(LEAVES[5], 5, 7, path, tree.subtree_root(0, 7))
    assert not verify_inclusion(LEAVES[5], 5, 8, path[:-1], root)
    assert not verify_inclusion(LEAVES[5], 8, 8, path, root)


def test_a_rewritten_prefix_breaks_the_consistency_proof() -> None:
    rewritten = [*LEAVES[:3], leaf_hash(b"changed"), *LEAVES[4:]]
    old_root = MerkleTree(LEAVES).subtree_root(0, 6)
    proof = MerkleTree(rewritten).consistency_proof(6)

    assert not verify_consistency(6, 8, old_root, MerkleTree(rewritten).root(), proof)
    assert not verify_consistency(6, 8, old_root, root_of(LEAVES), [])
    assert not verify_consistency(8, 6, root_of(LEAVES), old_root, proof)


def test_proofs_outside_the_tree_are_refused() -> None:
    tree = MerkleTree(LEAVES[:3])

    with pytest.raises(ProofError):
        tree.inclusion_proof(3)
    with pytest.raises(ProofError):
        tree.consistency_proof(2, 4)
