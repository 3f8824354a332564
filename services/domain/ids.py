"""The ids the write side derives: of a command's events, and of an integration's report.

Pure and deterministic: the same request always yields the same ids, so a resend is
recognised by the stream's duplicate window (an event id is its Nats-Msg-Id) and by the
aggregate's own history.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from uuid import NAMESPACE_URL, UUID, uuid5

from events.envelope import EventPayload
from events.goals import ProgressReported

# The namespace report command ids were always derived in: a report sent before and
# after an upgrade keeps its command id, so the aggregate's history still names it.
_REPORT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:okr-ledger:progress-report")


@dataclass(frozen=True)
class ReportName:
    """What makes an integration's report the report it is: the same name counts once.

    Its value and the key result it names are not part of it: sent again with another
    value (or key result) under the same source and key, it is still the same report.
    """

    tenant_id: str
    goal_type: str
    goal_id: str
    source: str
    idempotency_key: str

    @property
    def path(self) -> str:
        """The name as one string, tenant first."""
        return (
            f"{self.tenant_id}/{self.goal_type}/{self.goal_id}/{self.source}/{self.idempotency_key}"
        )

    @property
    def seen_key(self) -> tuple[str, str]:
        """How the goal's own history remembers the report (the goal is implied)."""
        return seen_key(self.source, self.idempotency_key)

    @property
    def command_id(self) -> UUID:
        """The command id of the report (whichever command id a sender gave, its event's
        id derives from this one)."""
        return uuid5(_REPORT_NAMESPACE, self.path)


def data_subject_id(subject_id: str) -> str:
    """The aggregate id of a data subject: a digest, since a person id need not be a token."""
    return "ds-" + hashlib.sha256(subject_id.encode()).hexdigest()[:40]


def seen_key(source: str, idempotency_key: str) -> tuple[str, str]:
    """A counted report as its goal remembers it: within one goal, source and key name it."""
    return source, idempotency_key


def command_event_id(
    tenant: str, aggregate_type: str, aggregate_id: str, command_id: UUID, index: int
) -> UUID:
    """The id of the ``index``-th event a command stores on one aggregate.

    The stream's duplicate window spans every tenant and aggregate, so the id names
    them besides the command id: a command id reused on another goal or in another
    tenant can never be taken for a resend.
    """
    return uuid5(command_id, f"{tenant}/{aggregate_type}/{aggregate_id}/{index}")


def event_id_for(
    tenant: str,
    aggregate_type: str,
    aggregate_id: str,
    command_id: UUID,
    payload: EventPayload,
    index: int,
) -> UUID:
    """The id of one decided event: by its command id, except a report's, which is named
    by the report (a resend under a new command id carries the same id)."""
    if isinstance(payload, ProgressReported):
        report = ReportName(
            tenant, aggregate_type, aggregate_id, payload.source, payload.idempotency_key
        )
        command_id = report.command_id
    return command_event_id(tenant, aggregate_type, aggregate_id, command_id, index)


_SIGNAL_NAMESPACE = uuid5(NAMESPACE_URL, "urn:okr-ledger:signal")


def signal_id(tenant: str, goal_type: str, goal_id: str, signal_type: str, occasion: str) -> UUID:
    """The id of one signal (its Nats-Msg-Id): the goal, the signal's type and its
    occasion (a due date; for hygiene, the findings and the signal they follow), so every
    instance that decides to send it sends the same id."""
    return uuid5(_SIGNAL_NAMESPACE, f"{tenant}/{goal_type}/{goal_id}/{signal_type}/{occasion}")
