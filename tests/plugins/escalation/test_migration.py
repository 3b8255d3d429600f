"""The plugin's migration builds exactly the schema of its models, on SQLite and PostgreSQL."""

from __future__ import annotations

from plugins.escalation import EscalationPlugin
from plugins.escalation.models import Chain, Checkin, Sos
from storage import migrate
from storage.sql import create_engine
from tests.schema import schema_diff

TABLES = frozenset(m.__tablename__ for m in (Chain, Checkin, Sos))


async def test_the_migration_matches_the_models(database_url: str) -> None:
    migrations = EscalationPlugin.migrations
    assert migrations is not None
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine, [migrations])
        async with engine.connect() as conn:
            assert await conn.run_sync(schema_diff, TABLES) == []
        await migrate.upgrade(engine, [migrations])  # idempotent
    finally:
        await engine.dispose()
