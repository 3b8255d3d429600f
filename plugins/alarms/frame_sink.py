"""Driver-level batch insert of plain device frames: the ingest path's hot write.

Frames that change nothing but the frame log (telemetry no rule watches, heartbeats) are
written here: one `INSERT ... ON CONFLICT DO NOTHING` executemany per batch. SQLite gets a
dedicated connection on its own thread, with WAL checkpoints on another thread (a batch from
a thousand devices touches a thousand index pages; checkpointing, and its fsync, on every
commit would cap the rate) - the same arrangement as the core's channel message sink.
PostgreSQL gets a dedicated asyncpg connection.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from sqlalchemy.engine import URL

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
        self._path = path
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alarm-frames")
        self._checkpointer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alarm-ckpt")
        self._db: sqlite3.Connection | None = None
        self._ckpt_db: sqlite3.Connection | None = None
        self._batches = 0

    async def insert(self, rows: Sequence[Row]) -> None:
        await asyncio.get_running_loop().run_in_executor(self._pool, self._insert, list(rows))
        self._batches += 1
        if self._batches % CHECKPOINT_EVERY == 0:
            self._checkpointer.submit(self._checkpoint)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._pool, self._close)
        self._pool.shutdown(wait=True)
        self._checkpointer.shutdown(wait=True)

    def _insert(self, rows: list[Row]) -> None:
        if self._db is None:
            self._db = _connect(self._path)
            self._db.execute("PRAGMA wal_autocheckpoint=0")
            self._db.execute("PRAGMA cache_size=-32768")
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(INSERT.format("?, ?, ?, ?, ?, ?"), rows)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _checkpoint(self) -> None:
        if self._ckpt_db is None:
            self._ckpt_db = _connect(self._path)
        self._ckpt_db.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        self._checkpointer.submit(self._close_checkpointer)

    def _close_checkpointer(self) -> None:
        if self._ckpt_db is not None:
            self._ckpt_db.close()
            self._ckpt_db = None


def _connect(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        db.execute(f"PRAGMA {pragma}")
    return db


class PostgresFrameSink:
    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._conn: Any = None
        self._lock = asyncio.Lock()

    async def insert(self, rows: Sequence[Row]) -> None:
        async with self._lock:
            conn = await self._connection()
            async with conn.transaction():
                await conn.executemany(INSERT.format("$1, $2, $3, $4, $5, $6::json"), rows)

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def _connection(self) -> Any:
        if self._conn is None or self._conn.is_closed():
            import asyncpg

            self._conn = await asyncpg.connect(self._dsn)
        return self._conn
