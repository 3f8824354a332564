"""PostgreSQL connections and pools whose every wait is bounded, and what counts as "down"."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.settings import DatabaseTimeouts

# A slow or frozen server, a dropped connection, one that is restarting, or a server-side
# statement timeout: the same request may succeed shortly, so callers are told to retry.
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    TimeoutError,
    OSError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.QueryCanceledError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
)


def _bounded(statement_s: float) -> dict[str, str]:
    # The server cancels what runs too long even when the client is not waiting any more.
    return {"statement_timeout": str(int(statement_s * 1000))}


def connect_options(timeouts: DatabaseTimeouts, statement_s: float | None = None) -> dict[str, Any]:
    """``asyncpg.connect``'s bounds for one connection (also what a replay worker is given)."""
    limit = statement_s or timeouts.write_s
    return {
        "timeout": timeouts.connect_s,
        "command_timeout": limit,
        "server_settings": _bounded(limit),
    }


async def connect(
    dsn: str, timeouts: DatabaseTimeouts, statement_s: float | None = None
) -> asyncpg.Connection:
    """One connection (projector, rebuild, audit replay); statements default to ``write_s``."""
    return await asyncpg.connect(dsn, **connect_options(timeouts, statement_s))


async def read_pool(
    dsn: str, timeouts: DatabaseTimeouts, schema: str, max_size: int = 8
) -> asyncpg.Pool:
    """A pool for the query API: reads give up after ``query_s`` (the client stops waiting
    even when the server is frozen and cannot cancel anything)."""
    return await asyncpg.create_pool(
        dsn,
        min_size=1,
        max_size=max_size,
        timeout=timeouts.connect_s,
        command_timeout=timeouts.query_s,
        server_settings={"search_path": schema, **_bounded(timeouts.query_s)},
    )
