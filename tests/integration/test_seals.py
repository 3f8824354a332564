"""Seals through the running read side: the auditor's HTTP routes, and the proof they give
checked offline by the CLI."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from seals.proof import InclusionProof, proof_problems
from seals.seal import Seal
from services.application.auth import Role, TokenAuthority
from services.application.sealing.schedule import SealSchedule
from services.bootstrap import CommandService, ReadSide
from services.entrypoints.cli.main import main
from tests.faults.tampering import write_history
from tests.integration.conftest import bearer

pytestmark = pytest.mark.integration


async def test_an_auditor_lists_fetches_verifies_and_proves_over_http(
    http: httpx.AsyncClient,
    reads: ReadSide,
    service: CommandService,
    authority: TokenAuthority,
    tenant: str,
    tmp_path: Path,
) -> None:
    await write_history(service.store, tenant)
    sealed = await reads.sealing.seal(tenant)
    assert sealed is not None
    auditor = bearer(authority, tenant, Role.AUDITOR)
    base = f"/tenants/{tenant}/audit"
    [event] = [e for e in await service.store.load_tenant(tenant)][3:4]

    listed = (await http.get(f"{base}/seals", headers=auditor)).json()
    fetched = (await http.get(f"{base}/seals/{listed[0]['seal_id']}", headers=auditor)).json()
    verified = await http.post(f"{base}/seals/verify", json=fetched, headers=auditor)
    proof_reply = await http.get(f"{base}/proofs/{event.envelope.event_id}", headers=auditor)
    key = (await http.get("/audit/seal-key", headers=auditor)).json()
    member = await http.get(f"{base}/seals", headers=bearer(authority, tenant, Role.MEMBER))

    assert [s["seal_id"] for s in listed] == [sealed.seal.seal_id]
    assert Seal.from_dict(fetched) == sealed.seal
    assert verified.status_code == 200
    assert verified.json()["findings"] == []
    assert verified.json()["log_size"] == 8
    proof = InclusionProof.from_json(json.dumps(proof_reply.json()))
    assert (proof.leaf_index, proof.stream_sequence) == (3, event.stream_sequence)
    assert proof_problems(proof, Seal.from_dict(fetched), key["key_id"]) == []
    assert member.status_code == 403
    forged = {**fetched, "tree_size": 3}
    refused = await http.post(f"{base}/seals/verify", json=forged, headers=auditor)
    assert refused.json()["findings"][0]["problem"] == "signature"
    assert (await http.post(f"{base}/seals/verify", json={}, headers=auditor)).status_code == 422
    as_listed = await http.post(f"{base}/seals/verify", json=listed[0], headers=auditor)
    assert as_listed.json()["findings"] == []  # the list's seal_id is allowed, not signed
    padded = await http.post(f"{base}/seals/verify", json={**fetched, "note": 1}, headers=auditor)
    assert padded.status_code == 422
    assert "note" in padded.json()["error"]["message"]

    seal_file, proof_file = tmp_path / "seal.json", tmp_path / "proof.json"
    seal_file.write_text(sealed.seal.to_json())
    proof_file.write_text(proof.to_json())
    assert main(["audit", "check-proof", str(proof_file), "--seal", str(seal_file)]) == 0
    bent = proof.to_dict() | {"leaf_index": 2}
    proof_file.write_text(json.dumps(bent))
    assert main(["audit", "check-proof", str(proof_file), "--seal", str(seal_file)]) == 1


async def test_the_schedule_seals_grown_tenants_and_each_closed_cycle_once(
    reads: ReadSide, service: CommandService, tenant: str
) -> None:
    await write_history(service.store, tenant)

    async def closed() -> list[tuple[str, str]]:
        return [(tenant, "2026-q4")]

    schedule = SealSchedule(reads.sealing, closed, interval_s=0.001, poll_s=1)
    await asyncio.sleep(0.01)
    await schedule.tick()
    await schedule.tick()
    await SealSchedule(reads.sealing, closed, interval_s=0.0, poll_s=1).tick()

    triggers = [s.trigger for s in await reads.sealing.seals(tenant)]
    assert triggers == ["schedule", "cycle_closed:2026-q4"]
    assert tenant in await reads.sealing.latest_seal_times()
