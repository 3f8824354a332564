"""One owner per data directory: a lock held for life, a runtime file naming the running
servers, and the clean-up of servers a crashed owner left behind."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

LOCK_FILE = "okr.lock"
RUNTIME_FILE = "runtime.json"
# How long a second process waits for a starting owner to write the runtime file
# (a first PostgreSQL initdb takes a few seconds).
ATTACH_WAIT_S = 60.0
STOP_WAIT_S = 10.0


class DataDirInUse(RuntimeError):
    """Another process owns the data directory's servers (the message names it)."""


@dataclass(frozen=True)
class Runtime:
    """What the owner of a data directory runs, as written to ``runtime.json``."""

    owner_pid: int
    command: str
    started_at: str
    nats_url: str  # without credentials: they are in the file named by nats_credentials
    nats_credentials: str | None
    nats_pid: int | None
    database_url: str
    postgres_pid: int | None
    http_url: str | None = None

    def describe(self) -> str:
        """One line an operator can act on."""
        http = self.http_url or "not listening yet"
        return (
            f"okr {self.command} (pid {self.owner_pid}, since {self.started_at}): "
            f"NATS {self.nats_url}, PostgreSQL {self.database_url}, HTTP {http}"
        )


class DataDir:
    """The data directory, its lock and its runtime file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.runtime_file = path / RUNTIME_FILE
        self._lock: IO[str] | None = None

    def try_lock(self) -> bool:
        """Take the lock (not waiting); False when another process holds it."""
        self.path.mkdir(parents=True, exist_ok=True)
        handle = (self.path / LOCK_FILE).open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        # The owner's pid in the lock file tells a waiting process whose runtime file to expect.
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock = handle
        return True

    def unlock(self) -> None:
        """Remove the runtime file, then let go of the lock (a clean stop)."""
        if self._lock is None:
            return
        with contextlib.suppress(FileNotFoundError):
            self.runtime_file.unlink()
        self._lock.close()  # closing the descriptor releases the flock
        self._lock = None

    def write(self, runtime: Runtime) -> None:
        """Publish the runtime file (atomically: a reader sees the old one or the new one)."""
        partial = self.runtime_file.with_suffix(".tmp")
        partial.write_text(json.dumps(asdict(runtime), indent=1) + "\n")
        partial.replace(self.runtime_file)

    def read(self) -> Runtime | None:
        """The runtime file, if there is a readable one."""
        try:
            return Runtime(**json.loads(self.runtime_file.read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def wait_for_owner(self, timeout_s: float = ATTACH_WAIT_S) -> Runtime:
        """The runtime file of the process holding the lock, once it has written it."""
        deadline = time.monotonic() + timeout_s
        while True:
            owner = (self.path / LOCK_FILE).read_text().strip()
            runtime = self.read()
            if runtime is not None and str(runtime.owner_pid) == owner:
                return runtime
            if time.monotonic() > deadline:
                raise DataDirInUse(
                    f"process {owner or '?'} holds the lock on {self.path} but has not "
                    f"published {RUNTIME_FILE} within {timeout_s:.0f} s; is it stuck?"
                )
            time.sleep(0.1)

    def stop_leftovers(self) -> list[int]:
        """Stop servers a crashed owner left running on this directory; returns their pids.

        Only a process whose command line names this directory as its store is signalled,
        so a reused pid is never hit.
        """
        stopped = []
        for pid, sig in _servers_on(self.path.resolve()):
            log.warning("stopping pid %s, a server left running on %s", pid, self.path)
            _end(pid, sig)
            stopped.append(pid)
        with contextlib.suppress(FileNotFoundError):
            self.runtime_file.unlink()
        return stopped


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return raw.decode(errors="replace").split("\0")


def _servers_on(data_dir: Path) -> list[tuple[int, signal.Signals]]:
    """(pid, its stop signal) of each nats-server and postmaster whose store is in data_dir."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        args = _cmdline(int(entry.name))
        if len(args) < 2:
            continue
        name = Path(args[0]).name
        # nats-server -sd <data_dir>/nats ...; postgres -D <data_dir>/postgres ... (pg_ctl)
        flag = {"nats-server": "-sd", "postgres": "-D"}.get(name)
        if flag is None or flag not in args[:-1]:
            continue
        store = Path(args[args.index(flag) + 1].strip('"'))
        if store.is_absolute() and store.parent == data_dir:
            # SIGINT is PostgreSQL's fast shutdown: its backends end with it.
            found.append((int(entry.name), signal.SIGTERM if flag == "-sd" else signal.SIGINT))
    return found


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"  # a zombie has ended already


def _end(pid: int, sig: signal.Signals) -> None:
    """Signal ``pid``, then SIGKILL it if it still runs after STOP_WAIT_S."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
        deadline = time.monotonic() + STOP_WAIT_S
        while _running(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _running(pid):
            os.kill(pid, signal.SIGKILL)
