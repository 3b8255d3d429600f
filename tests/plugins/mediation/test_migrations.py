"""The mediation plugin's own Alembic branch builds exactly its models, on SQLite and
PostgreSQL, and a run without the plugin still opens its database."""

from __future__ import annotations

from sqlalchemy import inspect

import plugins.mediation.models
from plugins.mediation import MediationPlugin
from storage import migrate
from storage.sql import create_engine
from tests.schema import schema_diff, tables_of

TABLES = tables_of(plugins.mediation.models)


async def test_branch_matches_the_models_and_is_idempotent(database_url: str) -> None:
    location = MediationPlugin.migrations
    assert location is not None
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine, [location])
        await migrate.upgrade(engine, [location])
        assert await migrate.current_heads(engine) == migrate.script_heads([location])
        async with engine.connect() as conn:
            names = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
            diff = await conn.run_sync(schema_diff, TABLES)
        await migrate.upgrade(engine, [], known=[location])  # the plugin disabled later
        assert await migrate.current_heads(engine) == migrate.script_heads([location])
    finally:
        await engine.dispose()
    assert names >= TABLES
    assert diff == []
