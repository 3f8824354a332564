"""Events of the data subject aggregate: a person whose personal data was erased."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from events.envelope import EventPayload
from events.personal import personal
from events.values import AggregateType


class DataSubjectErased(EventPayload):
    """The subject's keys were destroyed: every field sealed under them reads ``[erased]``.

    Subscribers erase their own copies of the subject's personal data (docs/events.md).
    The actor and the times say who erased and when; ``reason`` (sealed under the actor's
    key) says why.
    """

    event_type: ClassVar[str] = "data_subject.erased"
    schema_version: ClassVar[int] = 1
    aggregate_types = (AggregateType.DATA_SUBJECT,)

    subject_id: str = Field(
        min_length=1, max_length=200, description="the person, as goals name them"
    )
    reason: str = personal(
        min_length=1, max_length=2000, description="why, e.g. a request's reference"
    )
