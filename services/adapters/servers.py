"""Which servers the service uses: the configured URLs, else the data directory's embedded
ones, owned by one process at a time (others attach to them or are refused)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from services.adapters.data_dir import DataDir, DataDirInUse, Runtime
from services.adapters.embedded import EmbeddedNats, EmbeddedPostgres, nats_server_binary
from services.adapters.nats_auth import NatsCredentials, credentials, redact
from services.settings import Settings


def _attach(settings: Settings, runtime: Runtime) -> tuple[str, str]:
    """The running owner's URLs (with its NATS credentials), where none is configured."""
    nats_url = settings.nats_url
    if nats_url is None:
        nats_url = runtime.nats_url
        if runtime.nats_credentials:
            stored = json.loads(Path(runtime.nats_credentials).read_text())
            nats_url = NatsCredentials(stored["user"], stored["password"]).url(nats_url)
    return nats_url, settings.database_url or runtime.database_url


@asynccontextmanager
async def resolve_servers(
    settings: Settings, attach: bool = True
) -> AsyncIterator[tuple[str, str]]:
    """(nats_url, database_url): the configured ones, else the data dir's embedded servers.

    Only one process owns a data dir's servers: the first takes its lock, stops what a
    crashed owner left running there, starts the servers and names them in the runtime
    file. Another process uses those (``attach``) or is refused with DataDirInUse.
    """
    if settings.nats_url is not None and settings.database_url is not None:
        yield settings.nats_url, settings.database_url
        return
    if settings.nats_url is None:
        nats_server_binary()  # a missing binary is reported before PostgreSQL starts in vain
    data_dir = DataDir(settings.data_dir)
    if not await asyncio.to_thread(data_dir.try_lock):
        runtime = await asyncio.to_thread(data_dir.wait_for_owner)
        if not attach:
            raise DataDirInUse(
                f"{settings.data_dir} is in use by {runtime.describe()}. Stop that process "
                "first or set OKR_DATA_DIR to another directory (okr audit, rebuild and token "
                "work beside it)."
            )
        yield _attach(settings, runtime)
        return
    try:
        await asyncio.to_thread(data_dir.stop_leftovers)
        async with AsyncExitStack() as servers:
            nats_url, nats, creds_file = settings.nats_url, None, None
            if nats_url is None:
                creds, creds_file = credentials(settings.data_dir)
                nats = EmbeddedNats(settings.data_dir / "nats", credentials=creds)
                nats_url = (await servers.enter_async_context(nats)).url
            database_url, pg = settings.database_url, None
            if database_url is None:
                # pgserver counts its users' pids in this file and stops PostgreSQL only when
                # the last lets go; a killed owner's pid stays in it for ever. We own the dir.
                (settings.data_dir / "postgres" / ".handle_pids.json").unlink(missing_ok=True)
                pg = EmbeddedPostgres(settings.data_dir / "postgres")
                database_url = (await servers.enter_async_context(pg)).dsn
            data_dir.write(
                Runtime(
                    owner_pid=os.getpid(),
                    command=" ".join([Path(sys.argv[0]).name, *sys.argv[1:2]]),
                    started_at=datetime.now(UTC).isoformat(timespec="seconds"),
                    nats_url=nats.public_url if nats else redact(nats_url),
                    nats_credentials=str(creds_file.absolute()) if creds_file else None,
                    nats_pid=nats.pid if nats else None,
                    database_url=database_url,
                    postgres_pid=pg.pid if pg else None,
                )
            )
            yield nats_url, database_url
    finally:
        data_dir.unlock()


def announce_http(settings: Settings, http_url: str) -> None:
    """Add the query API's URL to the runtime file, if this process owns the data dir."""
    data_dir = DataDir(settings.data_dir)
    runtime = data_dir.read()
    if runtime is not None and runtime.owner_pid == os.getpid():
        data_dir.write(dataclasses.replace(runtime, http_url=http_url))
