"""The example plugin's own Alembic branch: it creates its table beside the core's, and a hub
whose plugin was uninstalled still migrates, leaving the plugin's tables and revision alone."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import migrate
from storage.sql import create_engine

MIGRATIONS = Path(__file__).parent / "gridhub-hello" / "gridhub_hello" / "migrations"
HEAD = "h0001_hello"


async def tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


async def test_its_branch_creates_its_table(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine, [MIGRATIONS])
        assert "hello_greetings" in await tables(engine)
        assert {HEAD, *migrate.script_heads()} == await migrate.current_heads(engine)
    finally:
        await engine.dispose()


async def test_the_hub_migrates_with_the_plugin_uninstalled(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine, [MIGRATIONS])
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO hello_greetings (grid_id, text, author_id, author_name,"
                    " created_at) VALUES (1, '你好', 1, 'admin', CURRENT_TIMESTAMP)"
                )
            )
        # Neither enabled nor installed: Alembic cannot find the branch's scripts any more.
        await migrate.upgrade(engine)
        assert HEAD in await migrate.current_heads(engine)
        async with engine.connect() as conn:
            kept = await conn.scalar(text("SELECT text FROM hello_greetings"))
        assert kept == "你好"
        # Installed again: it carries on from its revision (nothing to redo).
        await migrate.upgrade(engine, [MIGRATIONS])
        assert {HEAD, *migrate.script_heads()} == await migrate.current_heads(engine)
    finally:
        await engine.dispose()
