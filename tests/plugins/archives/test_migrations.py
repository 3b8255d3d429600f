"""The archives plugin's own Alembic branch builds exactly its models, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect

import plugins.archives.models
from plugins.archives import ArchivesPlugin
from storage import migrate
from storage.sql import create_engine
from tests.schema import schema_diff, tables_of

TABLES = tables_of(plugins.archives.models)


async def test_branch_matches_the_models_and_is_idempotent(database_url: str) -> None:
    location = ArchivesPlugin.migrations
    assert location is not None
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine, [location])
        await migrate.upgrade(engine, [location])
        assert await migrate.current_heads(engine) == migrate.script_heads([location])
        async with engine.connect() as conn:
            names = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
            diff = await conn.run_sync(schema_diff, TABLES)
    finally:
        await engine.dispose()
    assert names >= TABLES
    assert diff == []


async def test_a_run_without_the_plugin_still_opens_its_database(database_url: str) -> None:
    """The plugin disabled later: the core migrates on, the plugin's revisions resolve."""
    location = ArchivesPlugin.migrations
    assert location is not None
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine, [location])
        await migrate.upgrade(engine, [], known=[location])
        heads = await migrate.current_heads(engine)
    finally:
        await engine.dispose()
    assert heads == migrate.script_heads([location])
