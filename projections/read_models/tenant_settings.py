"""The tenant settings history: every cadence and hygiene-limit change, and the settings in
force at an instant."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from events.cadence import (
    DEFAULT_MAX_GOALS_PER_OWNER,
    CadenceScope,
    CadenceTerms,
    CheckInCadenceSet,
    HygienePolicySet,
    cadence_in_force,
    cadence_scope,
)
from events.envelope import StoredEvent
from projections.parking import Queryable
from projections.read_models.history import History
from projections.views import View

TABLE: Final = "tenant_settings"


class SettingEntry(View):
    """One settings change: a cadence (of a scope) or the hygiene limit."""

    stream_sequence: int
    tenant_id: str
    setting: str
    goal_type: str
    goal_id: str
    period_days: int | None
    grace_days: int | None
    stale_after_missed: int | None
    max_goals_per_owner: int | None
    occurred_at: datetime
    actor: str


MODEL: Final = History(TABLE, SettingEntry)


def setting_entry(stored: StoredEvent) -> SettingEntry | None:
    """The history row of a settings event (None for any other event)."""
    e, p = stored.envelope, stored.envelope.payload
    if not isinstance(p, CheckInCadenceSet | HygienePolicySet):
        return None  # most events: no row to build
    base = {
        "stream_sequence": stored.stream_sequence,
        "tenant_id": e.tenant_id,
        "occurred_at": e.occurred_at,
        "actor": e.actor,
        "period_days": None,
        "grace_days": None,
        "stale_after_missed": None,
        "max_goals_per_owner": None,
        "goal_type": "",
        "goal_id": "",
    }
    if isinstance(p, CheckInCadenceSet):
        goal_type, goal_id = cadence_scope(p.goal_type, p.goal_id)
        return SettingEntry(
            **{
                **base,
                "setting": p.event_type,
                "goal_type": goal_type,
                "goal_id": goal_id,
                **p.cadence.model_dump(),
            }
        )
    if isinstance(p, HygienePolicySet):
        return SettingEntry(
            **{**base, "setting": p.event_type, "max_goals_per_owner": p.max_goals_per_owner}
        )
    return None


@dataclass
class TenantSettings:
    """A tenant's settings in force at one instant."""

    cadences: dict[CadenceScope, CadenceTerms] = field(default_factory=dict)
    max_goals_per_owner: int = DEFAULT_MAX_GOALS_PER_OWNER

    def cadence_for(self, goal_type: str, goal_id: str) -> CadenceTerms:
        """The cadence in force for one goal."""
        return cadence_in_force(self.cadences, goal_type, goal_id)


async def settings_in_force(
    conn: Queryable, tenants: list[str] | None, as_of: datetime
) -> dict[str, TenantSettings]:
    """The settings of ``tenants`` (None: every tenant) in force at ``as_of``."""
    rows = await conn.fetch(
        f"SELECT * FROM {TABLE} WHERE occurred_at <= $1"
        " AND ($2::text[] IS NULL OR tenant_id = ANY($2::text[]))"
        " ORDER BY occurred_at, stream_sequence",
        as_of,
        tenants,
    )
    found: dict[str, TenantSettings] = {}
    for row in rows:
        settings = found.setdefault(row["tenant_id"], TenantSettings())
        if row["setting"] == HygienePolicySet.event_type:
            settings.max_goals_per_owner = row["max_goals_per_owner"]
        else:
            settings.cadences[(row["goal_type"], row["goal_id"])] = CadenceTerms(
                period_days=row["period_days"],
                grace_days=row["grace_days"],
                stale_after_missed=row["stale_after_missed"],
            )
    return found
