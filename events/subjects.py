"""The one place where NATS subjects, the stream name and message headers are spelled.

Event subjects:   <root>.<tenant>.<aggregate_type>.<aggregate_id>.<event_type>
                  e.g. okr.acme.objective.q4-growth.check_in.recorded
Command subjects: cmd.<root>.<tenant>.<command_name>   (NATS request/reply)
Ingest subject:   ingest.<root>.<tenant>.progress         (integrations; request/reply)
Dead letters:     dlq.<root>.<tenant>.progress            (stream OKR_DEAD_LETTERS)
Alignment guard:  guard.<root>.<tenant>.alignment         (stream OKR_EVENTS; not an event)
Signals:          signal.<root>.<tenant>.<goal_type>.<goal_id>.<signal_type>  (stream OKR_SIGNALS)
Tenant settings:  <root>.<tenant>.tenant_setting.<setting>.<event_type>
                  e.g. okr.acme.tenant_setting.scoring_policy.scoring_policy.set
Seals:            seal.<root>.<tenant>.head               (stream OKR_SEALS: signed tree heads)
                  seal.<root>.<tenant>.leaves             (the sealed leaf hashes, in chunks)

``root`` is ``okr`` in every deployment; tests give each stream its own root, since
JetStream refuses two streams whose subjects overlap.

Every token is ``[a-z0-9_-]``; ids never contain dots, so a subscriber can filter
with wildcards such as ``okr.acme.*.*.check_in.recorded``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

STREAM_NAME: Final = "OKR_EVENTS"
DEAD_LETTER_STREAM_NAME: Final = "OKR_DEAD_LETTERS"
SEAL_STREAM_NAME: Final = "OKR_SEALS"
SIGNAL_STREAM_NAME: Final = "OKR_SIGNALS"
COMMAND_ID_BUCKET_NAME: Final = "OKR_COMMAND_IDS"  # a key-value bucket: command id -> request
SUBJECT_KEY_BUCKET_NAME: Final = "OKR_SUBJECT_KEYS"  # a key-value bucket: data subjects' keys
REVOKED_TOKEN_BUCKET_NAME: Final = "OKR_REVOKED_TOKENS"  # a key-value bucket: token id -> expiry
EVENT_ROOT: Final = "okr"
COMMAND_PREFIX: Final = "cmd"
INGEST_PREFIX: Final = "ingest"
DEAD_LETTER_PREFIX: Final = "dlq"
GUARD_PREFIX: Final = "guard"
SEAL_PREFIX: Final = "seal"
SEAL_HEAD: Final = "head"
SEAL_LEAVES: Final = "leaves"
SIGNAL_PREFIX: Final = "signal"
ALIGNMENT_GUARD: Final = "alignment"
PROGRESS_KIND: Final = "progress"
# The aggregate id of each tenant setting (aggregate type ``tenant_setting``): one aggregate,
# and so one optimistic-concurrency subject, per tenant and setting.
SCORING_POLICY_SETTING: Final = "scoring_policy"
CHECK_IN_CADENCE_SETTING: Final = "check_in_cadence"
HYGIENE_POLICY_SETTING: Final = "hygiene_policy"
COMMAND_QUEUE_GROUP: Final = "okr-command-service"
INGEST_QUEUE_GROUP: Final = "okr-ingest"

# Headers this service writes on every stored event (the body carries the full envelope too).
HEADER_MSG_ID: Final = "Nats-Msg-Id"
HEADER_EXPECTED_SUBJECT_SEQ: Final = "Nats-Expected-Last-Subject-Sequence"
HEADER_EXPECTED_SUBJECT_SEQ_SUBJECT: Final = "Nats-Expected-Last-Subject-Sequence-Subject"
HEADER_BATCH_ID: Final = "Nats-Batch-Id"
HEADER_BATCH_SEQUENCE: Final = "Nats-Batch-Sequence"
HEADER_BATCH_COMMIT: Final = "Nats-Batch-Commit"
HEADER_EVENT_TYPE: Final = "Okr-Event-Type"
HEADER_SCHEMA_VERSION: Final = "Okr-Schema-Version"
HEADER_HASH: Final = "Okr-Hash"  # sha256 chaining the event to its aggregate's previous one
# W3C trace context of the request that caused the message (on requests and stored events).
HEADER_TRACEPARENT: Final = "traceparent"
# Headers on a dead letter (its body is the rejected report, byte for byte).
HEADER_REASON_CODE: Final = "Okr-Reason-Code"
HEADER_REASON: Final = "Okr-Reason"
HEADER_RECEIVED_AT: Final = "Okr-Received-At"
HEADER_RECEIVED_ON: Final = "Okr-Received-On"  # the subject or HTTP route it came in on
HEADER_BATCH_INDEX: Final = "Okr-Batch-Index"
# Header on a signal: its type, so a subscriber can route it before parsing the body.
HEADER_SIGNAL_TYPE: Final = "Okr-Signal-Type"

TOKEN_PATTERN: Final = r"^[a-z0-9][a-z0-9_-]{0,63}$"
_TOKEN = re.compile(TOKEN_PATTERN)


class InvalidSubjectToken(ValueError):
    """A tenant, aggregate type or id that cannot stand as one subject token."""


def is_token(value: str) -> bool:
    """Whether ``value`` can stand as one subject token (a tenant, a type, an id)."""
    return _TOKEN.fullmatch(value) is not None


def check_token(value: str, what: str) -> str:
    """Return ``value`` if it is a valid subject token, else raise InvalidSubjectToken."""
    if not is_token(value):
        raise InvalidSubjectToken(f"{what} {value!r} must match {TOKEN_PATTERN}")
    return value


@dataclass(frozen=True)
class Subjects:
    """Every subject of one deployment; ``root`` is ``okr`` unless a test isolates itself."""

    root: str = EVENT_ROOT

    def __post_init__(self) -> None:
        check_token(self.root, "subject root")

    def stream_subjects(self) -> list[str]:
        """The subjects the event stream captures: its events first, then the guards."""
        return [self.all_events(), f"{GUARD_PREFIX}.{self.root}.*.{ALIGNMENT_GUARD}"]

    def all_events(self) -> str:
        """Wildcard matching every event of every tenant (and nothing else)."""
        return f"{self.root}.*.*.*.>"

    def alignment_guard(self, tenant: str) -> str:
        """The subject whose last sequence guards ``tenant``'s alignment graph.

        Every align_goal appends one message here in the same atomic batch as its event,
        expecting the subject's last sequence it read before deciding: two alignments that
        together would close a loop cannot both be stored.
        """
        return f"{GUARD_PREFIX}.{self.root}.{tenant}.{ALIGNMENT_GUARD}"

    @staticmethod
    def is_guard(subject: str) -> bool:
        """Whether a message of the event stream is a guard (which holds no event)."""
        return subject.startswith(f"{GUARD_PREFIX}.")

    def event(self, tenant: str, aggregate_type: str, aggregate_id: str, event_type: str) -> str:
        """Subject of one stored event; the dotted event type forms the last tokens."""
        return f"{self.root}.{tenant}.{aggregate_type}.{aggregate_id}.{event_type}"

    def aggregate(self, tenant: str, aggregate_type: str, aggregate_id: str) -> str:
        """Wildcard matching every event of one aggregate."""
        return f"{self.root}.{tenant}.{aggregate_type}.{aggregate_id}.>"

    def tenant(self, tenant: str) -> str:
        """Wildcard matching every event of one tenant."""
        return f"{self.root}.{tenant}.>"

    def event_type(self, tenant: str, event_type: str) -> str:
        """Wildcard matching one event type across a tenant's aggregates."""
        return f"{self.root}.{tenant}.*.*.{event_type}"

    def command(self, tenant: str, command_name: str) -> str:
        """Request subject of one command for one tenant."""
        return f"{COMMAND_PREFIX}.{self.root}.{tenant}.{command_name}"

    def command_wildcard(self, command_name: str) -> str:
        """Subscription subject of one command across tenants."""
        return f"{COMMAND_PREFIX}.{self.root}.*.{command_name}"

    def any_command(self) -> str:
        """Subscription subject of every command, known or not, across tenants."""
        return f"{COMMAND_PREFIX}.{self.root}.*.*"

    @staticmethod
    def tenant_of_command(subject: str) -> str:
        """Tenant token of a command subject (``cmd.<root>.<tenant>.<command>``)."""
        return subject.split(".")[2]


    @staticmethod
    def name_of_command(subject: str) -> str:
        """Command name token of a command subject (``cmd.<root>.<tenant>.<command>``)."""
        return subject.split(".")[3]

    def ingest(self, tenant: str) -> str:
        """Subject an integration sends one tenant's progress reports to."""
        return f"{INGEST_PREFIX}.{self.root}.{tenant}.{PROGRESS_KIND}"

    def ingest_wildcard(self) -> str:
        """Subscription subject of progress reports across tenants."""
        return f"{INGEST_PREFIX}.{self.root}.*.{PROGRESS_KIND}"

    @staticmethod
    def tenant_of_ingest(subject: str) -> str:
        """Tenant token of an ingest subject (``ingest.<root>.<tenant>.progress``)."""
        return subject.split(".")[2]

    def dead_letter(self, tenant: str) -> str:
        """Subject a rejected progress report of ``tenant`` is kept on."""
        return f"{DEAD_LETTER_PREFIX}.{self.root}.{tenant}.{PROGRESS_KIND}"

    def dead_letter_subjects(self) -> list[str]:
        """The subjects the dead-letter stream captures."""
        return [f"{DEAD_LETTER_PREFIX}.{self.root}.>"]

    def seal_head(self, tenant: str) -> str:
        """Subject of ``tenant``'s signed tree heads (one message per seal)."""
        return f"{SEAL_PREFIX}.{self.root}.{tenant}.{SEAL_HEAD}"

    def seal_heads(self) -> str:
        """Wildcard matching every tenant's seals."""
        return f"{SEAL_PREFIX}.{self.root}.*.{SEAL_HEAD}"

    def seal_leaves(self, tenant: str) -> str:
        """Subject of the leaf hashes ``tenant``'s seals cover, in chunks."""
        return f"{SEAL_PREFIX}.{self.root}.{tenant}.{SEAL_LEAVES}"

    def seal_subjects(self) -> list[str]:
        """The subjects the seal stream captures."""
        return [f"{SEAL_PREFIX}.{self.root}.>"]

    @staticmethod
    def tenant_of_event(subject: str) -> str:
        """Tenant token of an event subject (``<root>.<tenant>.<type>.<id>.<event>``)."""
        return subject.split(".")[1]

    def signal(self, tenant: str, goal_type: str, goal_id: str, signal_type: str) -> str:
        """Subject of one goal's signals of one type; the dotted type forms the last tokens."""
        return f"{SIGNAL_PREFIX}.{self.root}.{tenant}.{goal_type}.{goal_id}.{signal_type}"

    def signal_subjects(self) -> list[str]:
        """The subjects the signal stream captures."""
        return [f"{SIGNAL_PREFIX}.{self.root}.>"]


DEFAULT_SUBJECTS = Subjects()
