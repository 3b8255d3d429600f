"""The participation plugin's own Alembic branch builds exactly its models, on SQLite and
PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect

import plugins.participation.models
from plugins.participation import ParticipationPlugin
from storage import migrate
from storage.sql import create_engine
from tests.schema import schema_diff, tables_of

TABLES = tables_of(plugins.participation.models)


async def test_branch_matches_the_models_and_is_idempotent(database_url: str) -> None:
    location = ParticipationPlugin.migrations
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
