"""The demo county (79 grids, 87 people, 20 devices) for tests: seeded once into a template
SQLite file, then copied into each test's database (seeding takes about a second and a half,
a copy a few milliseconds)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from aiohttp import web
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.app import build_app
from hub.runtime import open_core, seed_demo
from hub.settings import Settings
from storage import migrate
from storage.sql import Base, create_engine

DEVICE_KEYS = "demo-device-keys.json"  # beside the database: the demo devices' keys by code


async def make_demo_template(settings: Settings) -> Path:
    """Seed the demo county into the (empty, SQLite) database of `settings` and start and stop
    a hub on it once, so that what a first start writes (signing key, grid channels) is in it.
    Returns the database file, its WAL folded in, ready to copy."""
    async with open_core(settings) as core:
        assert await seed_demo(core, settings.data_dir), "the template database was not empty"
    runner = web.AppRunner(build_app(settings, available_plugins={}))
    await runner.setup()
    await runner.cleanup()
    database = make_url(settings.effective_database_url).database
    assert database is not None, "the demo template is a SQLite file"
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return Path(database)


async def copy_demo(template: Path, url: str, data_dir: Path | None = None) -> None:
    """Fill the empty database at `url` with the demo county of `template`; the devices' keys
    go to `data_dir` if given."""
    if data_dir is not None:
        shutil.copyfile(template.parent / DEVICE_KEYS, data_dir / DEVICE_KEYS)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        assert parsed.database is not None
        shutil.copyfile(template, parsed.database)
        return
    # PostgreSQL: migrate the empty database, then copy the template's rows into it (much
    # cheaper than cloning a template database on a server with fsync on).
    source = create_engine(f"sqlite+aiosqlite:///{template}")
    target = create_engine(url)
    try:
        await migrate.upgrade(target)
        async with source.connect() as read, target.begin() as write:
            await _copy_rows(read, write)
    finally:
        await source.dispose()
        await target.dispose()


async def _copy_rows(read: AsyncConnection, write: AsyncConnection) -> None:
    present = set(await read.run_sync(lambda conn: inspect(conn).get_table_names()))
    tables = [t for t in Base.metadata.sorted_tables if t.name in present]
    for table in tables:
        rows = [dict(row) for row in (await read.execute(select(table))).mappings()]
        if rows:
            await write.execute(insert(table), rows)
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) == 1:
            await _advance_sequence(write, table.name, keys[0].name)


async def _advance_sequence(write: AsyncConnection, table: str, column: str) -> None:
    """Past the copied ids, so that the next insert does not collide with one."""
    sequence = await write.scalar(
        text("SELECT pg_get_serial_sequence(:table, :column)"), {"table": table, "column": column}
    )
    if sequence is None:
        return
    quote = write.dialect.identifier_preparer.quote
    await write.execute(
        text(
            f"SELECT setval(:sequence, COALESCE(MAX({quote(column)}), 0) + 1, false)"
            f" FROM {quote(table)}"
        ),
        {"sequence": sequence},
    )
