"""``okr token revoke``: one token refused on the next request, every other one still
admitted; the revocation reaches a running instance through the bucket it watches."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from services.adapters.stream import StreamSettings
from services.application.auth import Role, TokenAuthority
from services.bootstrap import ReadSide, open_revocations
from services.entrypoints.cli.main import main
from services.settings import Settings
from tests.integration.conftest import TEST_SECRET

pytestmark = pytest.mark.integration


def _header(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_revoked_token_is_refused_on_the_next_request(
    reads: ReadSide,
    http: httpx.AsyncClient,
    authority: TokenAuthority,
    tenant: str,
    nats_url: str,
    database_url: str,
    stream_settings: StreamSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {
        "OKR_NATS_URL": nats_url,
        "OKR_DATABASE_URL": database_url,
        "OKR_STREAM": stream_settings.name,
        "OKR_AUTH_SECRET": TEST_SECRET,
        "OKR_DATA_DIR": str(tmp_path),
    }.items():
        monkeypatch.setenv(name, value)
    leaked, kept = (
        authority.issue(tenant, Role.MEMBER, "ana", datetime.now(UTC)) for _ in range(2)
    )
    scores = f"/tenants/{tenant}/cycles/2026-q4/scores"
    assert (await http.get(scores, headers=_header(leaked))).status_code == 200

    assert await asyncio.to_thread(main, ["token", "revoke", leaked]) == 0

    async with asyncio.timeout(5):  # "within seconds": here, as soon as the watch delivers
        refused = await http.get(scores, headers=_header(leaked))
        while refused.status_code == 200:
            await asyncio.sleep(0.02)
            refused = await http.get(scores, headers=_header(leaked))
    assert refused.status_code == 401
    assert refused.json()["error"] == {
        "code": "unauthenticated",
        "message": "invalid token: the token has been revoked",
        "violations": [],
        "retryable": False,
    }
    assert (await http.get(scores, headers=_header(kept))).status_code == 200
    # An instance started later loads the revocations made before it.
    later = await open_revocations(reads.nc, Settings(stream_name=stream_settings.name))
    await later.start()
    try:
        assert authority.token_id(leaked).jti in later
        assert authority.token_id(kept).jti not in later
    finally:
        await later.stop()
