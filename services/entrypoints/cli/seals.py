"""``okr audit seal|prove|check-proof|seal-key`` and ``verify --against``: seals from the CLI."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from projections.audit.verify import Verification
from seals.check import check_files
from seals.seal import Seal, UnreadableSeal
from services.adapters.seal_key import seal_keys
from services.application.sealing.prover import CannotProve
from services.application.sealing.sealer import CannotSeal
from services.application.sealing.service import Sealing
from services.settings import Settings

OFFLINE = ("check-proof", "seal-key")  # need no server


def add_seal_commands(steps: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the seal steps of ``okr audit``."""
    seal = steps.add_parser("seal", help="sign a tree head over the tenant's events now")
    seal.add_argument("--tenant", required=True)
    seal.add_argument("--out", type=Path, help="also write the seal here (keep it yourself)")
    prove = steps.add_parser("prove", help="an inclusion proof of one event in its seal")
    prove.add_argument("--tenant", required=True)
    prove.add_argument("--event", required=True, help="the event id")
    prove.add_argument("--out", type=Path, required=True)
    check = steps.add_parser("check-proof", help="check a proof against a seal, offline")
    check.add_argument("proof", type=Path)
    check.add_argument("--seal", type=Path, required=True)
    check.add_argument("--key-id", help="refuse a seal signed by any other key")
    steps.add_parser("seal-key", help="print the public key that signs seals")


def run_offline(args: argparse.Namespace, settings: Settings) -> int:
    """``check-proof`` and ``seal-key``: no server is started or asked."""
    if args.audit_command == "check-proof":
        return check_files(args.proof, args.seal, args.key_id)
    print(json.dumps(seal_keys(settings).public(), indent=2))
    return 0


def read_seal(path: Path) -> Seal:
    """The seal an auditor kept; exits 2 with the reason if it is not one."""
    try:
        return Seal.from_json(path.read_bytes())
    except (OSError, UnreadableSeal) as exc:
        print(f"okr audit: {path}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


async def run_sealing(args: argparse.Namespace, sealing: Sealing) -> int:
    """``seal`` and ``prove``."""
    try:
        if args.audit_command == "seal":
            sealed = await sealing.seal(args.tenant)
            assert sealed is not None  # only a scheduled seal may be skipped
            text = sealed.seal.to_json()
            if args.out:
                args.out.write_text(text)
                print(f"wrote {args.out}", file=sys.stderr)
            print(text, end="")
            return 0
        proof = await sealing.prove(args.tenant, args.event)
    except (CannotSeal, CannotProve) as exc:
        print(f"okr audit {args.audit_command}: {exc}", file=sys.stderr)
        return 1
    args.out.write_text(proof.to_json())
    print(
        f"wrote {args.out}: leaf {proof.leaf_index} of {proof.tree_size}, {len(proof.path)} hashes",
        file=sys.stderr,
    )
    return 0


async def verify_with_seals(
    args: argparse.Namespace, sealing: Sealing, chains: Verification
) -> int:
    """The chain walk's report, with the seal check beside it (``seals``)."""
    report = json.loads(chains.model_dump_json())
    ok = chains.ok
    if args.against is not None:
        check = await sealing.verify_against(args.tenant, read_seal(args.against))
        report["seals"] = json.loads(check.model_dump_json())
        ok = ok and check.ok
    elif args.tenant:
        chain = await sealing.verify_stored(args.tenant)
        report["seals"] = json.loads(chain.model_dump_json())
        ok = ok and chain.ok
    print(json.dumps(report, indent=2))
    return 0 if ok else 1
