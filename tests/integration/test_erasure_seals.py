"""Erasure beside seals: destroying a person's key changes no stored byte, so a seal made
before the erasure still holds for the log after it (over HTTP and ``okr audit verify``)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from events.values import Cycle
from services.adapters.stream import StreamSettings
from services.application.auth import Role, TokenAuthority
from services.bootstrap import ReadSide
from services.entrypoints.cli.main import main
from tests.integration.conftest import TEST_SEAL_KEY, TEST_SECRET, bearer

pytestmark = pytest.mark.integration
SECRET_NOTE = "Ana is struggling with the networking module"


def meta(day: int) -> dict[str, Any]:
    return {"now": f"2026-11-{day:02d}T09:00:00Z", "actor": "ignored"}


def script() -> list[tuple[str, dict[str, Any]]]:
    """An individual goal of Ana's with a KR and a check-in note: personal texts, sealed."""
    metric = {"kind": "numeric", "baseline": 0, "target": 10}
    return [
        ("create_objective", {"objective_id": "ana-cert", "title": "Ana: AWS certification",
                              "level": "individual", "owner": "ana",
                              "cycle": Cycle.quarter("2026-q4").model_dump(mode="json"),
                              "commitment": "committed", "meta": meta(2)}),
        ("add_key_result", {"objective_id": "ana-cert", "key_result_id": "kr",
                            "terms": {"title": "Pass the exam", "weight": 1, "metric": metric},
                            "meta": meta(2)}),
        ("record_check_in", {"goal_type": "objective", "goal_id": "ana-cert",
                             "key_result_id": "kr", "value": 4, "confidence": 0.6,
                             "note": SECRET_NOTE, "meta": meta(10)}),
    ]  # fmt: skip


def cli_verify(tenant: str, seal_file: Path) -> tuple[int, dict[str, Any]]:
    """``okr audit verify --tenant T --against FILE``: its exit code and JSON report."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["audit", "verify", "--tenant", tenant, "--against", str(seal_file)])
    return code, json.loads(out.getvalue())


async def test_a_seal_made_before_an_erasure_still_verifies_after_it(
    reads: ReadSide,
    http: httpx.AsyncClient,
    authority: TokenAuthority,
    tenant: str,
    nats_url: str,
    database_url: str,
    stream_settings: StreamSettings,
    pg_schema: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin = bearer(authority, tenant, Role.ADMIN, "lead")
    for name, body in script():
        answer = await http.post(f"/tenants/{tenant}/commands/{name}", json=body, headers=admin)
        assert answer.status_code == 200, (name, answer.text)
    await reads.wait_until_current()
    sealed = await reads.sealing.seal(tenant)
    assert sealed is not None
    seal_file = tmp_path / "seal.json"
    seal_file.write_text(sealed.seal.to_json())

    erase = {"subject_id": "ana", "reason": "Art. 17 request 2026-117", "meta": meta(25)}
    erased = await http.post(
        f"/tenants/{tenant}/commands/erase_data_subject", json=erase, headers=admin
    )
    assert erased.status_code == 200, erased.text
    await reads.wait_until_current()
    check_ins = await http.get(
        f"/tenants/{tenant}/goals/objective/ana-cert/check-ins", headers=admin
    )
    assert SECRET_NOTE not in check_ins.text  # the erasure took effect

    over_http = await http.post(
        f"/tenants/{tenant}/audit/seals/verify", json=sealed.seal.to_dict(), headers=admin
    )
    assert over_http.status_code == 200, over_http.text
    assert over_http.json()["findings"] == []
    assert over_http.json()["log_size"] == sealed.seal.tree_size + 1  # the erasure event

    for name, value in {
        "OKR_NATS_URL": nats_url,
        "OKR_DATABASE_URL": database_url,
        "OKR_STREAM": stream_settings.name,
        "OKR_SUBJECT_ROOT": stream_settings.subjects.root,
        "OKR_DB_SCHEMA": pg_schema,
        "OKR_SEAL_KEY": TEST_SEAL_KEY,
        "OKR_AUTH_SECRET": TEST_SECRET,
        "OKR_DATA_DIR": str(tmp_path),
    }.items():
        monkeypatch.setenv(name, value)
    code, report = await asyncio.to_thread(cli_verify, tenant, seal_file)
    assert code == 0, report
    assert report["seals"]["findings"] == []
    assert report["seals"]["seal_id"] == sealed.seal.seal_id
