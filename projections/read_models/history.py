"""An append-only read model: one row per event, copied into its table at each flush."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Generic, TypeVar, cast

import asyncpg

from projections.read_models.columns import columns_of

R = TypeVar("R")


class History(Generic[R]):
    """A table of rows of type ``R``, only ever appended to (the writer flushes it).

    ``record`` turns a row into its column values (by default: its attributes of the
    columns' names); ``tuples``: rows are queued as tuples in column order already.
    """

    __slots__ = ("_record", "columns", "table")

    def __init__(
        self,
        table: str,
        row: type[R],
        record: Callable[[R], tuple[object, ...]] | None = None,
        *,
        tuples: bool = False,
    ) -> None:
        self.table = table
        self.columns = columns_of(row)
        # One C-level call per row unless the row needs converting (a row per event).
        self._record = None if tuples else record or attrgetter(*self.columns)

    async def append(self, conn: asyncpg.Connection, rows: Sequence[R]) -> None:
        """Add a batch's rows (inside its transaction)."""
        convert = self._record
        records = (
            cast(Sequence[tuple[object, ...]], rows)
            if convert is None
            else [convert(r) for r in rows]
        )
        await conn.copy_records_to_table(self.table, records=records, columns=list(self.columns))
