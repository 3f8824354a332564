"""The one place read-model table names are spelled (unqualified: the schema is the
connection's search_path, so a rebuild or a test can use a schema of its own)."""

from __future__ import annotations

from typing import Final

MIGRATIONS: Final = "schema_migrations"
CHECKPOINTS: Final = "projection_checkpoints"
GOALS: Final = "goals"
KEY_RESULTS: Final = "key_results"
ALIGNMENTS: Final = "alignments"
PROGRESS: Final = "progress_entries"
KR_ADJUSTMENTS: Final = "key_result_adjustments"
PARKED: Final = "parked_tenants"
