"""The OpenAPI document made whole: every refusal a route can give, one error schema, and
no reference to a schema the document does not hold.

Refusals are declared per route group (``refusals(...)``); pydantic's nested ``$defs``
(from request bodies given by hand) are lifted into ``components/schemas``, where their
references point.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from services.domain.replies import Rejected

_MEANINGS: Final = {
    400: "the body is not readable JSON (or nested too deep, or numbers too long)",
    401: "no token, or one this deployment does not accept (expired, revoked, forged)",
    403: "the token is for another tenant, or its role may not do this",
    404: "no such goal, cycle, command or route",
    409: "a conflicting write (an id already taken, a concurrent change): re-read and retry",
    413: "the body is over the size limit",
    422: "a parameter or field breaks a rule; `violations` names each",
    503: "NATS or PostgreSQL did not answer in time; retryable (Retry-After)",
}
AUTHENTICATED: Final = (401, 403, 422, 503)  # every route behind the token gate


def refusals(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for ``statuses``, each with the ``Rejected`` body."""
    return {status: {"model": Rejected, "description": _MEANINGS[status]} for status in statuses}


def _lift_defs(node: Any, found: dict[str, Any]) -> None:
    if isinstance(node, dict):
        for name, schema in node.pop("$defs", {}).items():
            found.setdefault(name, schema)
            _lift_defs(schema, found)
        for value in node.values():
            _lift_defs(value, found)
    elif isinstance(node, list):
        for value in node:
            _lift_defs(value, found)


def _references(node: Any) -> set[str]:
    if isinstance(node, dict):
        refs = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            refs |= _references(value)
        return refs
    if isinstance(node, list):
        return set().union(*(_references(v) for v in node)) if node else set()
    return set()


def dangling_references(document: dict[str, Any]) -> set[str]:
    """The ``$ref``s of ``document`` that name no schema in it (none, when it is whole)."""
    held = {f"#/components/schemas/{name}" for name in document["components"]["schemas"]}
    return _references(document) - held


def _drop_unused(document: dict[str, Any]) -> None:
    # FastAPI adds its {"detail": [...]} error schemas; with every 422 declared as Rejected
    # nothing uses them, and a client should not find a shape no route returns.
    schemas = document["components"]["schemas"]
    for name in ("HTTPValidationError", "ValidationError"):  # the first refers to the second
        others = [s for n, s in schemas.items() if n != name]
        if f"#/components/schemas/{name}" not in _references([document["paths"], others]):
            schemas.pop(name, None)


def whole_document(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """``app.openapi`` producing the completed document (built once, then cached)."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            lifted: dict[str, Any] = {}
            _lift_defs(document, lifted)
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            for name, schema in lifted.items():
                schemas.setdefault(name, schema)
            _drop_unused(document)
            app.openapi_schema = document
        return app.openapi_schema

    return build
