"""What a command request's body looks like, for the reader of the AsyncAPI document.

The command endpoint takes the body as bytes (the codec parses it, so that every malformed
body is answered); these models only describe it. ``COMMAND_REQUESTS`` is the one map from a
command's name to its request model.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import reduce
from operator import or_
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, Field, PlainValidator, create_model

from events.values import Token
from services.application.codec import COMMANDS_BY_NAME
from services.application.ingest.reports import ProgressBatch, ProgressReport
from services.domain.commands import Command, CommandMeta


class RequestMeta(CommandMeta):
    """``meta`` as a request sends it: the service fills tenant_id and now when omitted."""

    # The service takes the tenant from the subject and stamps ``now`` itself (the codec).
    tenant_id: Token | None = Field(  # type: ignore[assignment]
        default=None, description="must equal the subject's tenant when given"
    )
    now: AwareDatetime | None = Field(  # type: ignore[assignment]
        default=None, description="business time of the request; the service's clock if omitted"
    )


def request_model(command_type: type[Command]) -> type[BaseModel]:
    """The request body of a command: the command with a ``meta`` the service completes."""
    return create_model(
        command_type.__name__,
        __base__=command_type,
        __module__=__name__,
        __doc__=command_type.__doc__,
        meta=(RequestMeta, ...),
    )


COMMAND_REQUESTS: Mapping[str, type[BaseModel]] = {
    name: request_model(command_type) for name, command_type in COMMANDS_BY_NAME.items()
}


def _as_sent(body: Any) -> Any:
    return body


def documented_as(schema: Any) -> PlainValidator:
    """Leave a body as the decoder made it (bytes) while the JSON Schema shows ``schema``."""
    # faststream derives a subscriber's payload schema from its handler's annotation; a
    # plain validator that returns its input keeps the bytes and documents the model.
    return PlainValidator(_as_sent, json_schema_input_type=schema)


CommandBody = Annotated[bytes, documented_as(reduce(or_, COMMAND_REQUESTS.values()))]
IngestBody = Annotated[bytes, documented_as(ProgressReport | ProgressBatch)]
