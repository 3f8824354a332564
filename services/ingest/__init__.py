"""Inbound progress from integrations (NATS subject and HTTP webhook) and its dead letters."""

from services.ingest.dead_letters import DeadLetter, DeadLetters
from services.ingest.reports import (
    IngestReply,
    ProgressBatch,
    ProgressReport,
    ReportOutcome,
)
from services.ingest.service import Ingestor, register_ingest

__all__ = [
    "DeadLetter",
    "DeadLetters",
    "IngestReply",
    "Ingestor",
    "ProgressBatch",
    "ProgressReport",
    "ReportOutcome",
    "register_ingest",
]
