"""Wires the service once: servers, stream, store, handler, NATS endpoints, projector, HTTP API.

``commands`` is the command side, ``reads`` the read side and the HTTP API, ``access`` the
tokens they admit; the names here are what the command line and the tests start.
"""

from services.bootstrap.access import open_revocations, token_authority
from services.bootstrap.commands import CommandService, command_service
from services.bootstrap.reads import (
    ReadSide,
    cadence_signals,
    lag_of_tenant,
    read_side,
    readiness_probe,
)
from services.bootstrap.workers import project, projector_workers

__all__ = [
    "CommandService",
    "ReadSide",
    "cadence_signals",
    "command_service",
    "lag_of_tenant",
    "open_revocations",
    "project",
    "projector_workers",
    "read_side",
    "readiness_probe",
    "token_authority",
]
