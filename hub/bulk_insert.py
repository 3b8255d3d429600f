"""Driver-level bulk inserts into a plugin's own table: the hot append path (`ctx.bulk_insert`).

For rows that are only appended and never need the ORM (a log of device frames, say), one
`INSERT ... ON CONFLICT DO NOTHING` executemany per batch, on a connection of its own: SQLite
gets a dedicated thread with WAL checkpoints on another (storage.batch_writer), PostgreSQL a
dedicated asyncpg connection. A batch is one transaction: all its rows, or none of them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import JSON, Table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import URL

from storage.batch_writer import PostgresBatchWriter, SqliteBatchWriter

CHECKPOINT_EVERY = 2  # SQLite: a passive checkpoint every this many batches
SQLITE_PRAGMAS = ("cache_size=-32768",)  # 32 MiB: a batch from many devices hits many pages
NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class BulkInsert(Protocol):
    async def insert(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Store `rows` (values in the table's column order; a JSON column takes its JSON
        text) in one transaction; a row whose key is already stored is skipped."""
        ...

    async def close(self) -> None: ...


def open_bulk_insert(url: URL, table: Table, thread_name: str) -> BulkInsert:
    columns = [c.name for c in table.columns]
    for name in (table.name, *columns):
        if not NAME.match(name):
            raise ValueError(f"{name!r} is not a plain SQL name")
    statement = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({{}}) ON CONFLICT DO NOTHING"
    )
    if url.get_backend_name() == "sqlite":
        return _SqliteInsert(url.database or ":memory:", statement, len(columns), thread_name)
    return _PostgresInsert(
        url.set(drivername="postgresql").render_as_string(False), statement, table
    )


class _SqliteInsert:
    def __init__(self, path: str, statement: str, width: int, thread_name: str) -> None:
        self._sql = statement.format(", ".join("?" * width))
        self._writer = SqliteBatchWriter(path, thread_name, CHECKPOINT_EVERY, SQLITE_PRAGMAS)

    async def insert(self, rows: Sequence[tuple[Any, ...]]) -> None:
        batch = list(rows)
        await self._writer.run(lambda db: db.executemany(self._sql, batch))

    async def close(self) -> None:
        await self._writer.close()


class _PostgresInsert:
    def __init__(self, dsn: str, statement: str, table: Table) -> None:
        slots = [f"${i}{_cast(c.type)}" for i, c in enumerate(table.columns, start=1)]
        self._sql = statement.format(", ".join(slots))
        self._writer = PostgresBatchWriter(dsn)

    async def insert(self, rows: Sequence[tuple[Any, ...]]) -> None:
        batch = list(rows)
        await self._writer.run(lambda conn: conn.executemany(self._sql, batch))

    async def close(self) -> None:
        await self._writer.close()


def _cast(column_type: Any) -> str:
    """JSON text is sent as text and cast by the server (asyncpg would want it encoded)."""
    if isinstance(column_type, JSONB):
        return "::jsonb"
    return "::json" if isinstance(column_type, JSON) else ""
