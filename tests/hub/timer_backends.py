"""Timer stores for the timer tests: SQLite, PostgreSQL (fresh database) and Redis (fresh prefix).

`open_stores(kind, request, tmp_path)` yields a factory; every store it makes shares one backend
(like the nodes of a cluster), each with its own engine or connection pool.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.timers import TimerStore
from storage import migrate
from storage.redis.timers import RedisTimerStore
from storage.sql import create_engine, session_factory
from storage.sql_timers import SqlTimerStore
from tests import services

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "redis"]
StoreFactory = Callable[[], TimerStore]


@asynccontextmanager
async def open_stores(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[StoreFactory]:
    async with AsyncExitStack() as stack:
        made: list[TimerStore] = []
        engines: list[AsyncEngine] = []
        if kind == "redis":
            url: str = request.getfixturevalue("redis_url")
            prefix = f"test:timers:{uuid.uuid4().hex[:8]}"
            stack.push_async_callback(_close, made, engines)
            yield _remember(made, lambda: RedisTimerStore(url, prefix=prefix))
            return
        db_url = f"sqlite+aiosqlite:///{tmp_path / 'timers.db'}"
        if kind == "postgres":
            server: str = request.getfixturevalue("postgres_server")
            db_url = stack.enter_context(services.fresh_database(server, "gridhub_tm_"))
        stack.push_async_callback(_close, made, engines)  # before the database is dropped
        await _migrate(db_url)

        def sql_store() -> TimerStore:
            engine = create_engine(db_url)
            engines.append(engine)
            return SqlTimerStore(session_factory(engine))

        yield _remember(made, sql_store)


def _remember(made: list[TimerStore], make: StoreFactory) -> StoreFactory:
    def factory() -> TimerStore:
        store = make()
        made.append(store)
        return store

    return factory


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


async def _close(made: list[TimerStore], engines: list[AsyncEngine]) -> None:
    for store in made:
        await store.close()
    for engine in engines:
        await engine.dispose()
