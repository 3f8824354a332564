"""Resumes a parked tenant: its held-back events, re-read from the stream and applied."""

from __future__ import annotations

import contextlib
import logging

from projections.consumer import EventLog
from projections.parking import Culprit
from projections.poison import NO_TENANT, read_events
from projections.writer import ProjectionWriter

log = logging.getLogger(__name__)


async def resume_tenant(
    writer: ProjectionWriter, event_log: EventLog, tenant: str
) -> Culprit | None:
    """Apply a parked tenant's events from its first unapplied sequence up to the
    checkpoint of its partition, with that writer, then un-park it; or park it again on
    the event that still fails, and return that event.

    The caller must own the tenant's partition, between batches: the checkpoint
    stays put meanwhile, so the events read here are exactly those the batches held
    back, and the batches after it apply the tenant's later events.
    """
    first = writer.parked.get(tenant)
    done = writer.share.checkpoint_of(tenant)
    if first is None or done is None:
        return None
    if tenant != NO_TENANT:  # messages filed under no tenant cannot be re-read by one
        scan = event_log.scan(event_log.subjects.tenant(tenant), after_sequence=first - 1)
        async with contextlib.aclosing(scan):  # its consumer goes when the loop ends early
            async for raw in scan:
                reads = await read_events(
                    (m for m in raw if m.sequence <= done), writer.keys
                )
                culprit = await writer.resume(tenant, reads, done=False)
                if culprit is not None:
                    return culprit
                if raw[-1].sequence >= done:
                    break
    return await writer.resume(tenant, [], done=True)
