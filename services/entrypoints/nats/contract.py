"""The checked-in contract, generated from the code: the AsyncAPI document and the event schemas.

``python -m services.entrypoints.nats.contract write`` writes ``docs/contract/``; ``check``
exits 1 when the checked-in files differ from what this code generates.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

from events.contract import event_schema_files, signal_schema_files
from services.entrypoints.nats.asyncapi import asyncapi_document

CONTRACT_DIR: Final = Path(__file__).resolve().parents[3] / "docs" / "contract"
ASYNCAPI_FILE: Final = "asyncapi.json"
EVENTS_DIR: Final = "events"
SIGNALS_DIR: Final = "signals"


def render(document: Any) -> str:
    """Stable JSON text: sorted keys, two-space indent, a final newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generated_files() -> dict[str, str]:
    """Relative path -> text of every file under docs/contract/, sorted by path."""
    files = {ASYNCAPI_FILE: render(asyncapi_document())}
    for name, schema in event_schema_files().items():
        files[f"{EVENTS_DIR}/{name}"] = render(schema)
    for name, schema in signal_schema_files().items():
        files[f"{SIGNALS_DIR}/{name}"] = render(schema)
    return dict(sorted(files.items()))


def existing_files(root: Path = CONTRACT_DIR) -> dict[str, str]:
    """Relative path -> text of the contract files checked in under ``root``."""
    found = [
        root / ASYNCAPI_FILE,
        *sorted((root / EVENTS_DIR).glob("*.json")),
        *sorted((root / SIGNALS_DIR).glob("*.json")),
    ]
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
        for path in found
        if path.is_file()
    }


def differences(root: Path = CONTRACT_DIR) -> Iterator[str]:
    """One line per file that is missing, stale or different, then a short unified diff."""
    wanted, present = generated_files(), existing_files(root)
    for name in sorted(wanted.keys() | present.keys()):
        if name not in present:
            yield f"missing: {name}"
        elif name not in wanted:
            yield f"stale: {name} (no registered event version has it)"
        elif present[name] != wanted[name]:
            diff = difflib.unified_diff(
                present[name].splitlines(),
                wanted[name].splitlines(),
                "checked-in",
                "generated",
                lineterm="",
                n=1,
            )
            yield f"differs: {name}\n" + "\n".join(list(diff)[:40])


def write(root: Path = CONTRACT_DIR) -> list[str]:
    """Write every generated file and remove stale schemas; returns the paths written."""
    wanted = generated_files()
    for name in existing_files(root).keys() - wanted.keys():
        (root / name).unlink()
    for name, text in wanted.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(wanted)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``write`` regenerates docs/contract/; ``check`` exits 1 if it is out of date."""
    parser = argparse.ArgumentParser(
        prog="python -m services.entrypoints.nats.contract", description=__doc__
    )
    parser.add_argument("action", choices=("write", "check"))
    parser.add_argument("--dir", type=Path, default=CONTRACT_DIR, help="default: docs/contract")
    args = parser.parse_args(argv)
    if args.action == "write":
        written = write(args.dir)
        print(f"wrote {len(written)} files under {args.dir}")
        return 0
    problems = list(differences(args.dir))
    for line in problems:
        print(line)
    if problems:
        print(f"{len(problems)} contract files out of date: run `make contract`", file=sys.stderr)
        return 1
    print("contract files are up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
