"""The plugin's migration builds exactly the schema of its models, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from plugins.escalation import EscalationPlugin
from plugins.escalation.models import Chain, Checkin, Sos
from storage import migrate
from storage.sql import Base, create_engine

TABLES = frozenset(m.__tablename__ for m in (Chain, Checkin, Sos))


def _diff(conn: Connection) -> list[Any]:
    def ours(_obj: Any, name: str | None, type_: str, *_: Any) -> bool:
        return type_ != "table" or name in TABLES

    context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": ours})
    diff: list[Any] = compare_metadata(context, Base.metadata)
    return diff


async def test_the_migration_matches_the_models(database_url: str) -> None:
    migrations = EscalationPlugin.migrations
    assert migrations is not None
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine, [migrations])
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
        await migrate.upgrade(engine, [migrations])  # idempotent
    finally:
        await engine.dispose()
