"""The field-work revision (a0002_field_work) builds exactly its tables, on SQLite and
PostgreSQL, on top of the archive's first revision."""

from __future__ import annotations

from sqlalchemy import inspect

import plugins.archives.work_models
from plugins.archives import ArchivesPlugin
from storage import migrate
from storage.sql import create_engine
from tests.schema import schema_diff, tables_of

TABLES = tables_of(plugins.archives.work_models)


async def test_field_work_tables_match_their_models(database_url: str) -> None:
    location = ArchivesPlugin.migrations
    assert location is not None
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine, [location])
        async with engine.connect() as conn:
            names = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
            diff = await conn.run_sync(schema_diff, TABLES)
    finally:
        await engine.dispose()
    assert names >= TABLES
    assert diff == []
