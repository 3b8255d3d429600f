"""The core migration builds exactly the schema of storage.models, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine

import storage.models
from storage import migrate
from storage.sql import create_engine, session_factory
from tests.schema import schema_diff, tables_of

# Only the tables storage.models declares: other test modules may import plugins whose tables
# also land on Base.metadata but come from migrations this module does not run.
CORE_TABLES = tables_of(storage.models)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def _table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


async def test_upgrade_reaches_the_script_heads(engine: AsyncEngine) -> None:
    assert await migrate.current_heads(engine) == set()
    await migrate.upgrade(engine)
    assert await migrate.current_heads(engine) == migrate.script_heads()
    assert await _table_names(engine) == CORE_TABLES | {"alembic_version"}


async def test_migrated_schema_matches_the_models(engine: AsyncEngine) -> None:
    await migrate.upgrade(engine)
    async with engine.connect() as conn:
        diff = await conn.run_sync(schema_diff, CORE_TABLES)
    assert diff == []


async def test_upgrade_is_idempotent(engine: AsyncEngine) -> None:
    await migrate.upgrade(engine)
    await migrate.upgrade(engine)
    assert await migrate.current_heads(engine) == migrate.script_heads()
    assert await _table_names(engine) == CORE_TABLES | {"alembic_version"}


async def test_downgrade_to_base_removes_the_tables_and_upgrade_restores_them(
    engine: AsyncEngine,
) -> None:
    await migrate.upgrade(engine)
    await migrate.downgrade(engine, "base")
    assert await _table_names(engine) <= {"alembic_version"}
    assert await migrate.current_heads(engine) == set()
    await migrate.upgrade(engine)
    assert await _table_names(engine) == CORE_TABLES | {"alembic_version"}


async def test_rows_written_after_upgrade_are_read_back(database_url: str) -> None:
    writer = create_engine(database_url)
    try:
        await migrate.upgrade(writer)
        async with session_factory(writer)() as session, session.begin():
            session.add(storage.models.Grid(code="c1", name="County", level="county", path="/"))
        await migrate.upgrade(writer)  # a no-op upgrade must not touch the data
    finally:
        await writer.dispose()
    reader = create_engine(database_url)
    try:
        async with session_factory(reader)() as session:
            grid = (await session.scalars(select(storage.models.Grid))).one()
    finally:
        await reader.dispose()
    assert (grid.code, grid.name, grid.kind, grid.parent_id) == ("c1", "County", "basic", None)
    assert grid.properties == {}
    assert grid.created_at.tzinfo == UTC
