"""One error body for every HTTP refusal: ``{"ok": false, "error": {...}}``, as NATS replies.

FastAPI's own answers (``{"detail": ...}`` for a 401, a 404 or a bad parameter) are turned
into the command service's ``Rejected`` shape, so a client reads one shape everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from services.domain.errors import ErrorCode, Violation
from services.domain.replies import Rejected, rejected

_CODES: Final = {
    400: ErrorCode.MALFORMED_REQUEST,
    401: ErrorCode.UNAUTHENTICATED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    409: ErrorCode.CONCURRENCY_CONFLICT,
    413: ErrorCode.TOO_LARGE,
    422: ErrorCode.INVALID_PARAMETERS,
    503: ErrorCode.UNAVAILABLE,
}
_MAX_MESSAGE: Final = 500  # a refusal says what is wrong, never echoes a whole input


def rejected_response(
    reply: Rejected, status: int, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """``reply`` as an HTTP response with ``status``."""
    return JSONResponse(reply.model_dump(mode="json"), status_code=status, headers=headers)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _CODES.get(exc.status_code, ErrorCode.INVALID_PARAMETERS)
    message = str(exc.detail)[:_MAX_MESSAGE]
    retryable = exc.status_code == 503
    return rejected_response(
        rejected(code, message, retryable=retryable), exc.status_code, exc.headers
    )


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "request"


async def _invalid_parameters(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    violations = tuple(
        Violation(
            criterion=_where(tuple(error.get("loc", ()))),
            code=str(error.get("type", "invalid")),
            message=str(error.get("msg", "invalid"))[:_MAX_MESSAGE],
        )
        for error in exc.errors()
    )
    names = ", ".join(v.criterion for v in violations)
    reply = rejected(ErrorCode.INVALID_PARAMETERS, f"invalid parameters: {names}", violations)
    return rejected_response(reply, 422)


def install_error_shape(app: FastAPI) -> None:
    """Answer FastAPI's own refusals in the ``Rejected`` shape."""
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_parameters)
