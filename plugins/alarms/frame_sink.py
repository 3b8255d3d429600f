"""Driver-level batch insert of plain device frames: the ingest path's hot write.

Frames that change nothing but the frame log (telemetry no rule watches, heartbeats) are
written here: one `INSERT ... ON CONFLICT DO NOTHING` executemany per batch. SQLite gets a
dedicated connection on its own thread, with WAL checkpoints on another thread (a batch from
a thousand devices touches a thousand index pages; checkpointing, and its fsync, on every
commit would cap the rate) - the same storage.batch_writer the core's channel message sink uses.
PostgreSQL gets a dedicated asyncpg connection.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy.engine import URL

from storage.batch_writer import PostgresBatchWriter, SqliteBatchWriter

Row = tuple[int, int, str, float, float, str]  # device_id, seq, kind, ts, received_at, body
CHECKPOINT_EVERY = 2
INSERT = (
    "INSERT INTO alarm_frames (device_id, seq, kind, ts, received_at, body)"
    " VALUES ({}) ON CONFLICT DO NOTHING"
)


class FrameSink(Protocol):
    async def insert(self, rows: Sequence[Row]) -> None: ...

    async def close(self) -> None: ...


def body_json(body: dict[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def open_sink(url: URL) -> FrameSink:
    if url.get_backend_name() == "sqlite":
        return SqliteFrameSink(url.database or ":memory:")
    return PostgresFrameSink(url.set(drivername="postgresql").render_as_string(False))


class SqliteFrameSink:
    def __init__(self, path: str) -> None:
        self._writer = SqliteBatchWriter(
            path, "alarm-frames", CHECKPOINT_EVERY, pragmas=("cache_size=-32768",)
        )

    async def insert(self, rows: Sequence[Row]) -> None:
        batch = list(rows)
        await self._writer.run(lambda db: db.executemany(INSERT.format("?, ?, ?, ?, ?, ?"), batch))

    async def close(self) -> None:
        await self._writer.close()


class PostgresFrameSink:
    def __init__(self, dsn: str) -> None:
        self._writer = PostgresBatchWriter(dsn)

    async def insert(self, rows: Sequence[Row]) -> None:
        batch = list(rows)
        sql = INSERT.format("$1, $2, $3, $4, $5, $6::json")
        await self._writer.run(lambda conn: conn.executemany(sql, batch))

    async def close(self) -> None:
        await self._writer.close()
