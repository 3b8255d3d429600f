"""Driver-level connections for group-committed hot writes (channel messages, device frames).

SQLite: one connection on a thread of its own runs each batch as a `BEGIN IMMEDIATE`
transaction; automatic WAL checkpoints are off and a passive checkpoint runs every
`checkpoint_every` batches on another thread, so a commit never waits for a checkpoint (and its
fsync). PostgreSQL: one dedicated asyncpg connection, one batch at a time.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def sqlite_connect(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        db.execute(f"PRAGMA {pragma}")
    return db


class SqliteBatchWriter:
    def __init__(
        self, path: str, name: str, checkpoint_every: int, pragmas: Sequence[str] = ()
    ) -> None:
        self._path = path
        self._pragmas = ("wal_autocheckpoint=0", *pragmas)
        self._every = checkpoint_every
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._checkpointer = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{name}-ckpt")
        self._db: sqlite3.Connection | None = None
        self._ckpt_db: sqlite3.Connection | None = None
        self._batches = 0

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work` in one transaction on the writer thread (rolled back if it raises)."""
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(self._pool, self._transaction, work)
        self._batches += 1
        if self._batches % self._every == 0:
            self._checkpointer.submit(self._checkpoint)
        return result

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._pool, self._close)
        self._pool.shutdown(wait=True)
        self._checkpointer.shutdown(wait=True)

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = sqlite_connect(self._path)
            for pragma in self._pragmas:
                self._db.execute(f"PRAGMA {pragma}")
        return self._db

    def _transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            result = work(db)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return result

    def _checkpoint(self) -> None:
        if self._ckpt_db is None:
            self._ckpt_db = sqlite_connect(self._path)
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


class PostgresBatchWriter:
    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._conn: Any = None
        self._lock = asyncio.Lock()

    async def run(self, work: Callable[[Any], Awaitable[T]]) -> T:
        """`work(connection)` in one transaction; batches run one at a time."""
        async with self._lock:
            conn = await self._connection()
            async with conn.transaction():
                return await work(conn)

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def _connection(self) -> Any:
        if self._conn is None or self._conn.is_closed():
            import asyncpg

            self._conn = await asyncpg.connect(self._dsn)
        return self._conn
