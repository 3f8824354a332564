"""A read model's columns, derived once from its row class, and the SQL built on them."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from pydantic import BaseModel


def columns_of(row: type[Any], *, leave_out: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The row's fields (a dataclass's or a pydantic model's), in order, as column names."""
    names = list(row.model_fields) if issubclass(row, BaseModel) else [f.name for f in fields(row)]
    return tuple(n for n in names if n not in leave_out)


def upsert(table: str, columns: tuple[str, ...], key_len: int) -> str:
    """INSERT of one row, updating the non-key columns when its key exists."""
    params = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({params}) " + _on_conflict(
        columns, key_len
    )


def upsert_staged(table: str, stage: str, columns: tuple[str, ...], key_len: int) -> str:
    """The same merge, of every row of a staging table at once."""
    names = ", ".join(columns)
    return f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} " + _on_conflict(
        columns, key_len
    )


def _on_conflict(columns: tuple[str, ...], key_len: int) -> str:
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns[key_len:])
    return f"ON CONFLICT ({', '.join(columns[:key_len])}) DO UPDATE SET {updates}"
