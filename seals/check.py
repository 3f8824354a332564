"""Check an inclusion proof against a seal, offline: ``python -m seals.check P --seal S``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from seals.proof import load_pair, proof_problems
from seals.seal import UnreadableSeal


def check_files(proof_file: Path, seal_file: Path, trusted_key_id: str | None) -> int:
    """Print what the proof shows (or why it does not); 0 when it holds."""
    try:
        proof, seal = load_pair(proof_file.read_bytes(), seal_file.read_bytes())
    except (OSError, UnreadableSeal, ValueError) as exc:
        print(f"check-proof: {exc}", file=sys.stderr)
        return 2
    problems = proof_problems(proof, seal, trusted_key_id)
    for problem in problems:
        print(f"FAIL: {problem}")
    if problems:
        return 1
    print(
        f"OK: event {proof.event_id} (stream sequence {proof.stream_sequence}) is leaf "
        f"{proof.leaf_index} of tenant {seal.tenant}'s tree of {seal.tree_size} events, "
        f"sealed {seal.sealed_at} by key {seal.key_id} ({len(proof.path)} hashes)"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("proof", type=Path)
    parser.add_argument("--seal", type=Path, required=True)
    parser.add_argument("--key-id", help="refuse a seal not signed by this key id")
    args = parser.parse_args(argv)
    return check_files(args.proof, args.seal, args.key_id)


if __name__ == "__main__":
    raise SystemExit(main())
