"""A real hub on a loopback port, served from a thread of its own, for the synchronous fuzzers.

Schemathesis sends its requests with `requests` from the test's thread, and Hypothesis drives
plain functions; so the hub runs on its own event loop in a background thread (a real aiohttp
server on 127.0.0.1), and socket clients on another. `LogWatch` collects every ERROR record and
every record with a traceback, from any thread; `Digest` fingerprints the SQLite database so a
refused request can be shown to have changed nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3
import threading
from collections.abc import Coroutine, Iterable
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

T = TypeVar("T")
WAIT = 30.0


class LoopThread:
    """An event loop running in a daemon thread; `run` waits for a coroutine on it."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = WAIT) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.run(_cancel_the_rest())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(WAIT)
        self.loop.close()


async def _cancel_the_rest() -> None:
    """Cancel what still runs on this loop (a client's ping task, say) and wait for it."""
    rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in rest:
        task.cancel()
    await asyncio.gather(*rest, return_exceptions=True)


class ServedHub:
    """`app` served on 127.0.0.1 (a free port) from a LoopThread."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.thread = LoopThread("fuzz-hub")
        self._runner = web.AppRunner(app)
        self.port = self.thread.run(self._start(), timeout=120)
        self.url = f"http://127.0.0.1:{self.port}"

    async def _start(self) -> int:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server  # aiohttp keeps the bound asyncio server here
        assert isinstance(server, asyncio.base_events.Server)
        port: int = server.sockets[0].getsockname()[1]
        return port

    def stop(self) -> None:
        try:
            self.thread.run(self._runner.cleanup(), timeout=60)
        finally:
            self.thread.close()


class LogWatch(logging.Handler):
    """Remembers ERROR records and records carrying a traceback, whichever thread logs them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            with self._lock:
                self.records.append(record)

    def take(self) -> list[str]:
        """The problems seen since the last call, formatted with their tracebacks."""
        with self._lock:
            taken, self.records = self.records, []
        formatter = logging.Formatter("%(levelname)s %(name)s: %(message)s")
        return [formatter.format(record) for record in taken]


class Digest:
    """Per-table fingerprints of a SQLite database, read through a connection of its own."""

    def __init__(self, database: Path, ignored: Iterable[str]) -> None:
        self._conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, check_same_thread=False)
        self.ignored = frozenset(ignored)

    def tables(self) -> list[str]:
        rows = self._conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        return sorted(name for (name,) in rows if name not in self.ignored)

    def take(self) -> dict[str, str]:
        """Table -> hash of its rows, all read in one transaction (a consistent snapshot)."""
        self._conn.execute("BEGIN")
        try:
            return {table: self._table(table) for table in self.tables()}
        finally:
            self._conn.execute("ROLLBACK")

    def _table(self, table: str) -> str:
        digest = hashlib.blake2b(digest_size=16)
        for row in self._conn.execute(f'SELECT * FROM "{table}" ORDER BY 1'):
            digest.update(repr(row).encode())
        return digest.hexdigest()

    def close(self) -> None:
        self._conn.close()


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))
