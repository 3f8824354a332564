"""``okr projections status`` as an operator runs it, also before any read model exists."""

from __future__ import annotations

import argparse
import uuid

import pytest

from services.entrypoints.cli.projections import run_projections
from services.settings import Settings

pytestmark = pytest.mark.integration


async def test_status_on_a_schema_no_projector_made_yet_says_nothing_is_parked(
    nats_url: str, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    settings = Settings(nats_url=nats_url, database_url=database_url, db_schema=schema)
    args = argparse.Namespace(projections_command="status")

    code = await run_projections(args, settings)

    assert code == 0
    assert "nothing parked" in capsys.readouterr().out
