"""The scoring policy read model: every policy a tenant set, and the one in force at an instant."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final, Literal

from pydantic import Field

from events.envelope import StoredEvent
from events.scoring_policy import ScoringPolicy, ScoringPolicySet
from projections.parking import Queryable
from projections.read_models.history import History
from projections.views import View

TABLE: Final = "scoring_policy_changes"


class PolicyInForce(View):
    """The scoring policy a tenant's scores are computed under at an instant."""

    tenant_id: str
    as_of: datetime
    source: Literal["tenant", "deployment_default"] = Field(
        description="tenant: set with set_scoring_policy; deployment_default: none set by then"
    )
    effective_at: datetime | None = Field(description="when the tenant's policy took effect")
    set_by: str | None
    reason: str | None
    policy: ScoringPolicy


class PolicyChange(View):
    """A row of the table: one ``scoring_policy.set`` event."""

    stream_sequence: int
    tenant_id: str
    effective_at: datetime = Field(description="the event's occurred_at")
    recorded_at: datetime
    actor: str
    reason: str | None
    changed: tuple[str, ...]
    previous: str = Field(description="the policy before, as JSON")
    policy: str = Field(description="the policy from then on, as JSON")


MODEL: Final = History(TABLE, PolicyChange)


def change_row(stored: StoredEvent, p: ScoringPolicySet) -> PolicyChange:
    """The row of one policy event."""
    e = stored.envelope
    return PolicyChange(
        stream_sequence=stored.stream_sequence,
        tenant_id=e.tenant_id,
        effective_at=e.occurred_at,
        recorded_at=e.recorded_at,
        actor=e.actor,
        reason=p.reason,
        changed=p.changed,
        previous=p.previous.model_dump_json(),
        policy=p.policy.model_dump_json(),
    )


async def current(conn: Queryable, tenants: Iterable[str]) -> dict[str, ScoringPolicy]:
    """The newest policy each of ``tenants`` set (tenants that set none are left out)."""
    rows = await conn.fetch(
        f"SELECT DISTINCT ON (tenant_id) tenant_id, policy FROM {TABLE}"
        " WHERE tenant_id = ANY($1::text[]) ORDER BY tenant_id, stream_sequence DESC",
        list(tenants),
    )
    return {r["tenant_id"]: ScoringPolicy.model_validate_json(r["policy"]) for r in rows}


async def in_force(
    conn: Queryable, tenant: str, as_of: datetime, default: ScoringPolicy
) -> PolicyInForce:
    """The policy in force at ``as_of``: the tenant's own, else the deployment default."""
    # A policy cannot take effect before the one it replaces (the decider refuses it), so
    # the newest row effective by ``as_of`` is the one in force then.
    row: Any = await conn.fetchrow(
        f"SELECT * FROM {TABLE} WHERE tenant_id = $1 AND effective_at <= $2"
        " ORDER BY stream_sequence DESC LIMIT 1",
        tenant,
        as_of,
    )
    if row is None:
        return PolicyInForce(
            tenant_id=tenant,
            as_of=as_of,
            source="deployment_default",
            effective_at=None,
            set_by=None,
            reason=None,
            policy=default,
        )
    return PolicyInForce(
        tenant_id=tenant,
        as_of=as_of,
        source="tenant",
        effective_at=row["effective_at"],
        set_by=row["actor"],
        reason=row["reason"],
        policy=ScoringPolicy.model_validate_json(row["policy"]),
    )
