"""Walks the event log and reports the first event that is altered, missing or out of place."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, ConfigDict

from projections.audit.chain_check import ChainCheck, Finding
from projections.consumer import EventLog, ScanStalled

Progress = Callable[[int], None]
UNLOADABLE = (
    "the server cannot load this stored message (its checksum fails: the file was edited "
    "or damaged); whose event it was is unknown"
)


class Verification(BaseModel):
    """What a walk of the log found."""

    model_config = ConfigDict(frozen=True)

    subject_filter: str
    events_checked: int
    last_sequence: int
    tenant_heads: dict[str, str]
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        """True when every chain is intact."""
        return not self.findings

    @property
    def first(self) -> Finding | None:
        """The first problem in stream order, if any."""
        return self.findings[0] if self.findings else None


async def verify_log(
    event_log: EventLog, subject_filter: str, progress: Progress | None = None
) -> Verification:
    """Check every chain of the events matching ``subject_filter`` (a tenant, or all)."""
    check = ChainCheck()
    last = 0
    try:
        async for batch in event_log.scan(subject_filter):
            for event in batch:
                check.add(event.sequence, event.subject, event.body, event.hash)
            last = batch[-1].sequence
            if progress is not None:
                progress(check.events)
    except ScanStalled:
        unloadable = await event_log.unloadable()
        if not unloadable:
            raise  # a server that stopped answering, not a damaged store
        for sequence in unloadable:
            check.unreadable(sequence, UNLOADABLE)
    return Verification(
        subject_filter=subject_filter,
        events_checked=check.events,
        last_sequence=last,
        tenant_heads=check.tenant_heads(),
        findings=tuple(check.in_stream_order()),
    )
