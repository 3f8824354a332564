"""Request bodies read by hand: at most a limit kept, and their schema for the document."""

from __future__ import annotations

from typing import Any

import pydantic
from fastapi import Request


async def read_limited(request: Request, limit: int) -> tuple[bytes, int]:
    """The body's first ``limit`` bytes and its whole length (the rest is not kept)."""
    kept, size = bytearray(), 0
    async for chunk in request.stream():
        size += len(chunk)
        if len(kept) < limit:
            kept += chunk[: limit - len(kept)]
    return bytes(kept), size


def body_schema(*models: type[pydantic.BaseModel]) -> dict[str, Any]:
    """OpenAPI ``openapi_extra`` for a JSON body that is one of ``models``."""
    schemas = [m.model_json_schema(ref_template="#/components/schemas/{model}") for m in models]
    schema = schemas[0] if len(schemas) == 1 else {"oneOf": schemas}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}
