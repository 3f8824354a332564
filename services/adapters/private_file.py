"""Secrets kept in the data dir: a file made once, readable by its owner only."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def create_once(path: Path, content: Callable[[], str]) -> None:
    """Write ``content()`` to a new file of mode 0600 unless ``path`` already exists."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: if two processes start at once, one writes and both read the same file.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as out:
        out.write(content())
