"""One owner per data directory: ``okr serve`` in real processes, killed, restarted, and
joined by other ``okr`` commands; never two servers on one store."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nats
import psutil
import pytest
from nats.errors import Error as NatsError

from tests.servers import scratch_dir

pytestmark = pytest.mark.integration
OKR = [sys.executable, "-m", "services.entrypoints.cli.main"]
READY_WITHIN_S = 90.0
GONE_WITHIN_S = 20.0


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A data directory of the test's own (outside pytest's basetemp, for pgserver)."""
    with scratch_dir("okr-owner-") as path:
        yield path / "data"


def env_for(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OKR_")}
    return {**env, "OKR_DATA_DIR": str(data_dir), "OKR_HTTP_PORT": "0"}


def serve(data_dir: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*OKR, "serve"],
        env=env_for(data_dir),
        stdout=subprocess.DEVNULL,
        stderr=(data_dir.parent / "serve.log").open("ab"),
    )


def runtime_of(process: subprocess.Popen[bytes], data_dir: Path) -> dict[str, Any]:
    """The runtime file once ``process`` has published its HTTP URL in it."""
    deadline = time.monotonic() + READY_WITHIN_S
    while time.monotonic() < deadline:
        assert process.poll() is None, (data_dir.parent / "serve.log").read_text()[-3000:]
        try:
            runtime = json.loads((data_dir / "runtime.json").read_text())
        except (OSError, ValueError):
            runtime = {}
        if runtime.get("owner_pid") == process.pid and runtime.get("http_url"):
            return runtime
        time.sleep(0.1)
    raise AssertionError(f"no runtime file within {READY_WITHIN_S} s")


def servers_on(data_dir: Path) -> dict[str, list[int]]:
    """Pids of the nats-servers and postmasters whose store is in ``data_dir``."""
    found: dict[str, list[int]] = {"nats": [], "postgres": []}
    for proc in psutil.process_iter(["pid", "cmdline"]):
        args = proc.info["cmdline"] or []
        if str(data_dir / "nats") in args and Path(args[0]).name == "nats-server":
            found["nats"].append(proc.info["pid"])
        if str(data_dir / "postgres") in args and Path(args[0]).name == "postgres":
            found["postgres"].append(proc.info["pid"])
    return found


def okr(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*OKR, *args], env=env_for(data_dir), capture_output=True, text=True, timeout=120
    )


def wait_gone(pids: list[int]) -> list[int]:
    deadline = time.monotonic() + GONE_WITHIN_S
    while (alive := [p for p in pids if running(p)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


def running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


async def only_the_service_gets_in(url: str, creds: dict[str, str]) -> None:
    """The embedded NATS admits the generated credentials only: no anonymous client."""
    with pytest.raises(NatsError):
        await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=0)
    host = url.removeprefix("nats://")
    nc = await nats.connect(f"nats://{creds['user']}:{creds['password']}@{host}")
    try:
        assert (await nc.jetstream().stream_info("OKR_EVENTS")).config.deny_delete
    finally:
        await nc.close()


def test_a_second_process_attaches_or_is_refused_never_a_second_server(
    data_dir: Path,
) -> None:
    first = serve(data_dir)
    try:
        runtime = runtime_of(first, data_dir)
        assert servers_on(data_dir) == {
            "nats": [runtime["nats_pid"]],
            "postgres": [runtime["postgres_pid"]],
        }

        second = okr(data_dir, "serve")
        assert second.returncode == 1
        assert f"pid {first.pid}" in second.stderr, second.stderr
        assert runtime["nats_url"] in second.stderr
        assert runtime["http_url"] in second.stderr

        audit = okr(data_dir, "audit", "verify")
        assert audit.returncode == 0, audit.stderr
        assert json.loads(audit.stdout)["findings"] == []
        assert servers_on(data_dir)["nats"] == [runtime["nats_pid"]]

        creds_file = Path(runtime["nats_credentials"])
        assert creds_file.stat().st_mode & 0o777 == 0o600
        creds = json.loads(creds_file.read_text())
        asyncio.run(only_the_service_gets_in(runtime["nats_url"], creds))
    finally:
        stop(first)
    assert first.returncode == 0
    assert not (data_dir / "runtime.json").exists()
    assert wait_gone([runtime["nats_pid"], runtime["postgres_pid"]]) == []


def test_servers_left_by_a_killed_owner_are_stopped_at_the_next_start(data_dir: Path) -> None:
    first = serve(data_dir)
    try:
        crashed = runtime_of(first, data_dir)
    finally:
        first.kill()
        first.wait()
    leftovers = [crashed["nats_pid"], crashed["postgres_pid"]]
    assert servers_on(data_dir) == {"nats": leftovers[:1], "postgres": leftovers[1:]}

    second = serve(data_dir)
    try:
        runtime = runtime_of(second, data_dir)
        assert wait_gone(leftovers) == []
        assert servers_on(data_dir) == {
            "nats": [runtime["nats_pid"]],
            "postgres": [runtime["postgres_pid"]],
        }
        assert runtime["nats_credentials"] == crashed["nats_credentials"]  # written once
    finally:
        stop(second)
    assert wait_gone([runtime["nats_pid"], runtime["postgres_pid"]]) == []
