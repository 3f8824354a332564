"""The HTTP API keeps the promises of its OpenAPI document: schemathesis generates requests
from /openapi.json and runs every check against the live service (real NATS and
PostgreSQL), so a 5xx, an undocumented status or a body off its schema fails the suite."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import httpx
import pytest

from services.application.auth import Role, TokenAuthority
from services.bootstrap import ReadSide
from services.entrypoints.http.openapi import dangling_references
from tests.integration.conftest import bearer

pytestmark = pytest.mark.integration
CONFIG = Path(__file__).with_name("schemathesis.toml")
# Bounded: a few examples per operation and phase, and a ceiling on the whole run.
MAX_EXAMPLES = 12
MAX_TIME_S = 60


async def test_the_document_is_whole(http: httpx.AsyncClient) -> None:
    document = (await http.get("/openapi.json")).json()

    assert dangling_references(document) == set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            if "security" not in operation:  # the health and scrape routes need no token
                assert path in {"/healthz", "/readyz", "/metrics"}, path
                continue
            assert {"401", "503"} <= statuses, (method, path)
            if path.startswith("/tenants/{tenant}"):
                assert {"403", "422"} <= statuses, (method, path)
            if method == "post":
                assert "requestBody" in operation, path
            if "/commands/" in path or path.endswith("/progress"):
                assert {"400", "413"} <= statuses, path


async def test_every_operation_keeps_the_documented_contract(
    reads: ReadSide, authority: TokenAuthority, tenant: str, tmp_path: Path
) -> None:
    token = bearer(authority, tenant, Role.ADMIN)["Authorization"]
    schemathesis = Path(sys.executable).with_name("schemathesis")
    run = await asyncio.create_subprocess_exec(
        str(schemathesis),
        "--config-file",
        str(CONFIG),
        "--no-color",
        "run",
        f"{reads.http_url}/openapi.json",
        "--checks",
        "all",
        "--header",
        f"Authorization: {token}",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--max-time",
        str(MAX_TIME_S),
        "--seed",
        "20261201",
        "--request-timeout",
        "15",
        "--output-truncate",
        "true",
        "--report-dir",
        str(tmp_path),
        cwd=tmp_path,
        env={**os.environ, "OKR_SCHEMATHESIS_TENANT": tenant},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await run.communicate()
    text = output.decode(errors="replace")
    summary = text[text.find("=== FAILURES") :] if "=== FAILURES" in text else text[-3000:]
    assert run.returncode == 0, summary[:6000]
