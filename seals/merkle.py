"""RFC 9162 (and RFC 6962) Merkle tree hashing, inclusion and consistency proofs (pure)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
HASH_BYTES = 32


class ProofError(ValueError):
    """A proof asked of a tree that cannot give it (index or size out of range)."""


def leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 || entry)."""
    return hashlib.sha256(LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def empty_root() -> bytes:
    """The root of the tree of no leaves: SHA-256 of the empty string."""
    return hashlib.sha256(b"").digest()


def _largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """Every level of the tree over ``leaves`` (leaf hashes), built once bottom-up.

    Node ``i`` of level ``l`` is the root of the leaves ``[i * 2**l, min((i + 1) * 2**l, n))``:
    an odd last node is carried up unchanged, which is RFC 9162's split at the largest
    power of two below the size.
    """

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.size = len(leaves)
        self._levels: list[Sequence[bytes]] = [leaves]
        level = leaves
        sha256 = hashlib.sha256
        while len(level) > 1:
            pairs = range(0, len(level) - 1, 2)
            above = [sha256(NODE_PREFIX + level[i] + level[i + 1]).digest() for i in pairs]
            if len(level) % 2:
                above.append(level[-1])
            self._levels.append(above)
            level = above

    def root(self) -> bytes:
        """The tree head's root hash."""
        return self._levels[-1][0] if self.size else empty_root()

    def subtree_root(self, start: int, end: int) -> bytes:
        """The root of the leaves ``[start, end)`` as a tree of their own."""
        size = end - start
        if size <= 0 or end > self.size:
            raise ProofError(f"no subtree [{start}, {end}) in a tree of {self.size}")
        height = size.bit_length() - 1
        if size == 1 << height and start % size == 0:
            return self._levels[height][start >> height]
        split = start + _largest_power_of_two_below(size)
        return node_hash(self.subtree_root(start, split), self.subtree_root(split, end))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree of the first ``size`` leaves."""
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            raise ProofError(f"no leaf {index} in a tree of {size}")
        return self._path(index, 0, size)

    def _path(self, index: int, start: int, end: int) -> list[bytes]:
        if end - start == 1:
            return []
        split = start + _largest_power_of_two_below(end - start)
        if index < split:
            return [*self._path(index, start, split), self.subtree_root(split, end)]
        return [*self._path(index, split, end), self.subtree_root(start, split)]

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """The proof that the tree of ``old_size`` leaves is a prefix of that of ``new_size``."""
        new_size = self.size if new_size is None else new_size
        if not 0 <= old_size <= new_size <= self.size:
            raise ProofError(f"no consistency proof from {old_size} to {new_size}")
        if old_size in (0, new_size):
            return []
        return self._subproof(old_size, 0, new_size, True)

    def _subproof(self, m: int, start: int, end: int, whole: bool) -> list[bytes]:
        if m == end - start:
            return [] if whole else [self.subtree_root(start, end)]
        split = start + _largest_power_of_two_below(end - start)
        if m <= split - start:
            return [*self._subproof(m, start, split, whole), self.subtree_root(split, end)]
        return [
            *self._subproof(m - (split - start), split, end, False),
            self.subtree_root(start, split),
        ]


def root_of(leaves: Sequence[bytes]) -> bytes:
    """The root of the tree over ``leaves`` (leaf hashes)."""
    return MerkleTree(leaves).root()


def verify_inclusion(
    leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``path`` proves leaf hash ``leaf`` at ``index`` of the tree ``(size, root)``."""
    if not 0 <= index < size or any(len(p) != HASH_BYTES for p in path):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree ``(old_size, old_root)`` is a prefix of the new one."""
    if not 0 <= old_size <= new_size or any(len(p) != HASH_BYTES for p in proof):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == empty_root()
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is a node of the new tree
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root
