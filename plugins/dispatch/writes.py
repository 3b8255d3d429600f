"""The plugin's write transactions; on SQLite, one at a time within the process.

SQLite has one writer. Concurrent write transactions from the connection pool do not queue for
it: the losers sleep in SQLite's busy handler (1, 2, 5 … 100 ms steps) and retry, so under load
throughput collapses while the CPU idles. Taking an asyncio lock before the transaction makes
them queue in order instead, holding no connection while they wait. PostgreSQL needs no lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


class Writes:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        bind = sessions.kw.get("bind")
        single = bind is not None and bind.dialect.name == "sqlite"
        self._lock = asyncio.Lock() if single else None

    @property
    def serialised(self) -> bool:
        """Write transactions run one at a time here, so none can hold a row lock long."""
        return self._lock is not None

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction that commits when the block ends (rolls back on error)."""
        if self._lock is None:
            async with self._sessions.begin() as session:
                yield session
            return
        async with self._lock, self._sessions.begin() as session:
            yield session
