"""HTTP routes that change goals: commands and integration progress, relayed over NATS.

The HTTP side only authenticates and relays: the command service answers both (one
place for validation, idempotency and dead letters), so NATS and HTTP callers are
treated alike. A command records the token's subject as its actor (the body's
``meta.actor`` is replaced); a progress report records its integration,
``integration:<source>``, as it does over NATS.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import pydantic
from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from nats.aio.client import Client
from nats.errors import MaxPayloadError, NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError

from events.subjects import Subjects
from services.adapters.dead_letters import DeadLetters
from services.adapters.telemetry.tracing import trace_headers
from services.application.auth import Permission, Principal
from services.application.codec import COMMANDS_BY_NAME, MAX_REQUEST_BYTES
from services.application.ingest.reports import (
    MAX_INGEST_BYTES,
    IngestReply,
    MessageRefused,
    ProgressBatch,
    ProgressReport,
)
from services.application.untrusted_json import UnreadableJson, read_json
from services.domain.commands import EraseDataSubject
from services.domain.errors import ErrorCode
from services.domain.replies import REPLY, Accepted, ErrorBody, Rejected, rejected, unavailable
from services.domain.tenant_settings import SETTING_COMMANDS
from services.entrypoints.http.auth import Gate
from services.entrypoints.http.bodies import body_schema, read_limited
from services.entrypoints.http.openapi import AUTHENTICATED, refusals
from services.entrypoints.http.params import AfterSequence, TenantId

_STATUS = {
    ErrorCode.MALFORMED_REQUEST: 400,
    ErrorCode.UNKNOWN_COMMAND: 404,
    ErrorCode.UNKNOWN_GOAL: 404,
    ErrorCode.TOO_LARGE: 413,
    ErrorCode.CONCURRENCY_CONFLICT: 409,
    ErrorCode.GOAL_EXISTS: 409,
    ErrorCode.KEY_RESULT_EXISTS: 409,
    ErrorCode.INTERNAL_ERROR: 500,
    ErrorCode.UNAVAILABLE: 503,
}


# A tenant's settings change every goal's score: only its admins may change them.
_CONFIGURING = frozenset(cls.name for cls in SETTING_COMMANDS)


def status_for(error: ErrorBody) -> int:
    """The HTTP status of a refusal (422 for every broken business rule not listed)."""
    return _STATUS.get(error.code, 422)


class DeadLetterView(pydantic.BaseModel):
    """A refused report as kept on the dead-letter stream."""

    sequence: int
    code: str
    reason: ErrorBody
    received_at: str
    received_on: str
    batch_index: int | None
    body: str = pydantic.Field(description="the report as received (UTF-8; bad bytes replaced)")


@dataclass(frozen=True)
class WriteGateway:
    """Relays HTTP writes to the command service over NATS."""

    nc: Client
    subjects: Subjects
    dead_letters: DeadLetters
    clock: Callable[[], datetime]
    timeout_s: float = 10.0

    async def request(
        self, subject: str, body: bytes, headers: dict[str, str]
    ) -> bytes | ErrorBody:
        """The service's reply, or why none came (retryable)."""
        # The HTTP request's trace goes on with the NATS request.
        headers = {**headers, **trace_headers()}
        try:
            msg = await self.nc.request(subject, body, timeout=self.timeout_s, headers=headers)
        except MaxPayloadError:
            return ErrorBody(
                code=ErrorCode.TOO_LARGE, message="the body is over the NATS limit", retryable=False
            )
        except NoRespondersError:
            return unavailable("no command service is listening; retry shortly").error
        except NatsTimeoutError:
            message = f"no reply within {self.timeout_s} s; resend (it is idempotent)"
            return unavailable(message).error
        return msg.data


def _json(model: pydantic.BaseModel, status: int) -> JSONResponse:
    return JSONResponse(model.model_dump(mode="json"), status_code=status)


def _with_actor(body: bytes, actor: str) -> bytes:
    # Only a well-formed command is rewritten; anything else goes as sent, so that the
    # service gives the same typed answer an NATS caller would get.
    try:
        data = read_json(body)
    except UnreadableJson:
        return body
    if not isinstance(data, dict) or not isinstance(data.get("meta", {}), dict):
        return body
    data["meta"] = {**data.get("meta", {}), "actor": actor}
    try:
        # Compact and unescaped: the rewritten body is no larger than the sent one (but for
        # the actor), so what fits the service's limit on the way in still fits it.
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:  # a lone surrogate: escaped, the service names its field
        return json.dumps(data, separators=(",", ":")).encode()


def write_router(gateway: WriteGateway, gate: Gate) -> APIRouter:
    """Routes for commands (admin, member; the tenant's settings admin only) and progress
    reports (admin, integration)."""
    router = APIRouter(
        prefix="/tenants/{tenant}", tags=["writes"], responses=refusals(*AUTHENTICATED)
    )
    commanding = gate.permit(Permission.COMMAND)
    reporting = gate.permit(Permission.REPORT_PROGRESS)

    @router.post(
        "/commands/{command}",
        response_model=Accepted,
        responses=refusals(400, 404, 409, 413),
        openapi_extra=body_schema(*COMMANDS_BY_NAME.values()),
    )
    async def command(
        tenant: TenantId,
        command: Annotated[
            str,
            Path(
                description="the command's name",
                json_schema_extra={"enum": sorted(COMMANDS_BY_NAME)},
            ),
        ],
        request: Request,
        principal: Principal = commanding,
    ) -> JSONResponse:
        """Send a command (body as on NATS, see the README's Commands); the token's
        subject is recorded as the actor."""
        if command not in COMMANDS_BY_NAME:
            return _json(rejected(ErrorCode.UNKNOWN_COMMAND, f"no command named {command!r}"), 404)
        if command in _CONFIGURING and not principal.may(Permission.CONFIGURE):
            raise HTTPException(403, f"role {principal.role.value!r} may not {command}")
        if command == EraseDataSubject.name and not principal.may(Permission.ERASE):
            raise HTTPException(403, f"role {principal.role.value!r} may not erase a data subject")
        body, size = await read_limited(request, MAX_REQUEST_BYTES)
        if size <= MAX_REQUEST_BYTES:
            body = _with_actor(body, principal.subject)
        if max(size, len(body)) > MAX_REQUEST_BYTES:
            return _json(
                rejected(ErrorCode.TOO_LARGE, f"the body is over {MAX_REQUEST_BYTES} bytes"), 413
            )
        answer = await gateway.request(gateway.subjects.command(tenant, command), body, {})
        if isinstance(answer, ErrorBody):
            return _json(Rejected(error=answer), status_for(answer))
        reply = REPLY.validate_json(answer)
        return _json(reply, 200 if isinstance(reply, Accepted) else status_for(reply.error))

    @router.post(
        "/progress",
        response_model=IngestReply,
        # The gate refuses in the common shape; the service answers with the report counts.
        responses={
            status: {"model": IngestReply | Rejected, "description": refusal["description"]}
            for status, refusal in refusals(400, 404, 409, 413, *AUTHENTICATED).items()
        },
        openapi_extra=body_schema(ProgressReport, ProgressBatch),
    )
    async def report_progress(
        tenant: TenantId, request: Request, principal: Principal = reporting
    ) -> JSONResponse:
        """Report one KR value or a batch ({"reports": [...]}); each report is answered on
        its own, refused ones are kept as dead letters. 200 when at least one report is
        stored (or was already): see ``rejected`` for the others; when none is, the status
        of the first refusal."""
        body, size = await read_limited(request, MAX_INGEST_BYTES)
        if size > MAX_INGEST_BYTES:
            refusal = MessageRefused(
                ErrorCode.TOO_LARGE,
                f"the body is {size} bytes; the limit is {MAX_INGEST_BYTES} (kept truncated)",
            )
            await gateway.dead_letters.keep(
                tenant, body, refusal.error, request.url.path, gateway.clock()
            )
            return _json(IngestReply.refused(refusal.error), 413)
        answer = await gateway.request(gateway.subjects.ingest(tenant), body, {})
        if isinstance(answer, ErrorBody):
            return _json(IngestReply.refused(answer), status_for(answer))
        reply = IngestReply.model_validate_json(answer)
        if reply.error is not None:
            return _json(reply, status_for(reply.error))
        first = next((r.error for r in reply.results if r.error is not None), None)
        stored = reply.accepted or reply.duplicates
        return _json(reply, 200 if stored or first is None else status_for(first))

    @router.get("/progress/dead-letters", dependencies=[reporting])
    async def dead_letters(
        tenant: TenantId,
        after: AfterSequence = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[DeadLetterView]:
        """The tenant's refused reports, oldest first, with why each was refused."""
        kept = await gateway.dead_letters.read(tenant, limit, after)
        return [
            DeadLetterView(
                sequence=k.sequence,
                code=k.code,
                reason=k.reason,
                received_at=k.received_at,
                received_on=k.received_on,
                batch_index=k.batch_index,
                body=k.body.decode(errors="replace"),
            )
            for k in kept
        ]

    return router
