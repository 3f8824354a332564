"""The one place the shared tables' names are spelled; an append-only read model spells
its own in its module. Unqualified: the schema is the connection's search_path, so a
rebuild or a test can use a schema of its own."""

from __future__ import annotations

from typing import Final

MIGRATIONS: Final = "schema_migrations"
CHECKPOINTS: Final = "projection_checkpoints"  # before partitions: one row a projection
PARTITION_CHECKPOINTS: Final = "partition_checkpoints"
GOALS: Final = "goals"
KEY_RESULTS: Final = "key_results"
ALIGNMENTS: Final = "alignments"
PARKED: Final = "parked_tenants"
