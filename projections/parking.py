"""The parked-tenants table: who is parked, on which event and why, and resume requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from projections.tables import PARKED

# A connection, a pool's, or the pool itself: whatever runs one query.
Queryable = asyncpg.Connection | asyncpg.Pool | PoolConnectionProxy


@dataclass(frozen=True)
class Culprit:
    """The event a tenant was parked on."""

    tenant_id: str
    first_sequence: int  # the tenant's first event not applied (the culprit itself)
    subject: str
    event_id: str | None
    event_type: str | None
    error: str


@dataclass(frozen=True)
class ParkedTenant:
    """One parked tenant, as operators see it."""

    tenant_id: str
    first_sequence: int
    failed_sequence: int
    subject: str
    event_id: str | None
    event_type: str | None
    error: str
    parked_at: datetime
    resume_requested_at: datetime | None


def storable(text: str | None) -> str | None:
    """``text`` as PostgreSQL text can hold it: NUL and lone surrogates escaped."""
    if text is None:
        return None
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


async def load_parked(conn: asyncpg.Connection) -> dict[str, int]:
    """Every parked tenant and its first unapplied sequence."""
    rows = await conn.fetch(f"SELECT tenant_id, first_sequence FROM {PARKED}")
    return {r["tenant_id"]: int(r["first_sequence"]) for r in rows}


async def park(conn: asyncpg.Connection, culprit: Culprit) -> None:
    """Record (or re-record, after a failed resume) a parked tenant."""
    await conn.execute(
        f"INSERT INTO {PARKED} (tenant_id, first_sequence, failed_sequence, subject, "
        "event_id, event_type, error, parked_at) VALUES ($1, $2, $2, $3, $4, $5, $6, now()) "
        "ON CONFLICT (tenant_id) DO UPDATE SET first_sequence = EXCLUDED.first_sequence, "
        "failed_sequence = EXCLUDED.failed_sequence, subject = EXCLUDED.subject, "
        "event_id = EXCLUDED.event_id, event_type = EXCLUDED.event_type, "
        "error = EXCLUDED.error, parked_at = now(), resume_requested_at = NULL",
        culprit.tenant_id,
        culprit.first_sequence,
        storable(culprit.subject),
        storable(culprit.event_id),
        storable(culprit.event_type),
        storable(culprit.error),
    )


async def advance(conn: asyncpg.Connection, tenant: str, first_sequence: int) -> None:
    """Move a parked tenant's first unapplied sequence on (a resume part-way through)."""
    await conn.execute(
        f"UPDATE {PARKED} SET first_sequence = $2 WHERE tenant_id = $1", tenant, first_sequence
    )


async def unpark(conn: asyncpg.Connection, tenant: str) -> None:
    """Forget a tenant's parking (its events are all applied now)."""
    await conn.execute(f"DELETE FROM {PARKED} WHERE tenant_id = $1", tenant)


async def parked_tenants(conn: Queryable) -> list[ParkedTenant]:
    """Every parked tenant, in the order they were parked."""
    rows = await conn.fetch(f"SELECT * FROM {PARKED} ORDER BY failed_sequence")
    return [ParkedTenant(**dict(r)) for r in rows]


async def parked_summary(conn: Queryable, tenant: str) -> tuple[int, ParkedTenant | None]:
    """How many tenants are parked, and ``tenant``'s parking if it is parked."""
    count = await conn.fetchval(f"SELECT count(*) FROM {PARKED}")
    own = await conn.fetchrow(f"SELECT * FROM {PARKED} WHERE tenant_id = $1", tenant)
    return int(count), None if own is None else ParkedTenant(**dict(own))


async def request_resume(conn: asyncpg.Connection, tenant: str) -> bool:
    """Mark a parked tenant for resumption; False if it is not parked."""
    found = await conn.fetchval(
        f"UPDATE {PARKED} SET resume_requested_at = now() WHERE tenant_id = $1 RETURNING 1",
        tenant,
    )
    return found is not None


async def resume_requests(conn: asyncpg.Connection) -> list[str]:
    """The parked tenants an operator asked to resume, oldest request first."""
    rows = await conn.fetch(
        f"SELECT tenant_id FROM {PARKED} WHERE resume_requested_at IS NOT NULL "
        "ORDER BY resume_requested_at"
    )
    return [r["tenant_id"] for r in rows]
