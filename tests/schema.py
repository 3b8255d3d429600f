"""Compare a migrated database with the models of one module (core or a plugin)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from storage.sql import Base


def tables_of(module: ModuleType) -> frozenset[str]:
    """The tables the module's mapped classes declare (other modules share Base.metadata)."""
    return frozenset(
        table.name
        for mapper in Base.registry.mappers
        if mapper.class_.__module__ == module.__name__
        for table in mapper.tables
    )


def schema_diff(conn: Connection, tables: frozenset[str]) -> list[Any]:
    """What autogenerate would change to make the database match those tables' models."""

    def ours(_obj: Any, name: str | None, type_: str, *_: Any) -> bool:
        return type_ != "table" or name in tables

    context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": ours})
    diff: list[Any] = compare_metadata(context, Base.metadata)
    return diff
