"""The core migrations build exactly the schema of storage.models and of the tables signaling
and media keep beside their code, on SQLite and PostgreSQL; data migrations carry rows over."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import column, insert, inspect, select, table
from sqlalchemy.ext.asyncio import AsyncEngine

import media.camera.models
import media.recording.models
import signaling.models
import storage.models
from hub import plugins
from storage import migrate
from storage.sql import create_engine, session_factory
from tests.schema import schema_diff, tables_of

# Only the tables the core migrations create: other test modules may import plugins whose
# tables also land on Base.metadata but come from migrations this module does not run.
CORE_TABLES = frozenset().union(
    *map(tables_of, (storage.models, signaling.models, media.recording.models, media.camera.models))
)
# Alembic's version table and storage.migrate's record of which branch each revision is on.
BOOKKEEPING = frozenset({"alembic_version", migrate.BRANCHES.name})


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
    assert await _table_names(engine) == CORE_TABLES | BOOKKEEPING


async def test_migrated_schema_matches_the_models(engine: AsyncEngine) -> None:
    await migrate.upgrade(engine)
    async with engine.connect() as conn:
        diff = await conn.run_sync(schema_diff, CORE_TABLES)
    assert diff == []


async def test_upgrade_is_idempotent(engine: AsyncEngine) -> None:
    await migrate.upgrade(engine)
    await migrate.upgrade(engine)
    assert await migrate.current_heads(engine) == migrate.script_heads()
    assert await _table_names(engine) == CORE_TABLES | BOOKKEEPING


async def test_downgrade_to_base_removes_the_tables_and_upgrade_restores_them(
    engine: AsyncEngine,
) -> None:
    await migrate.upgrade(engine)
    await migrate.downgrade(engine, "base")
    assert await _table_names(engine) <= BOOKKEEPING
    assert await migrate.current_heads(engine) == set()
    await migrate.upgrade(engine)
    assert await _table_names(engine) == CORE_TABLES | BOOKKEEPING


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


RECORDINGS = table(
    "recordings",
    *map(column, ("id", "kind", "room", "channel_id", "incident_id", "state", "media")),
    *map(column, ("container", "codec", "content_type", "path", "started_at")),
)
CHANNELS = table(
    "channels",
    *map(column, ("id", "kind", "ref", "name", "epoch", "last_offset", "min_offset", "created_at")),
)


async def test_recordings_keep_what_they_belong_to_as_a_subject(engine: AsyncEngine) -> None:
    """0009: incident_id 12 -> "incident:12", a channel's ref, a plugin subject's room."""
    await migrate.upgrade(engine)
    await migrate.downgrade(engine, "0008_auth_limits")
    now = datetime.now(UTC)
    channel = {"kind": "grid", "name": "村", "epoch": "e", "created_at": now}
    channel |= {"last_offset": 0, "min_offset": 1}
    rows = {  # id -> (kind, room, channel ref, incident_id)
        "a" * 32: ("group", "call:1", None, 12),
        "b" * 32: ("ptt", "ptt:2", "grid:7", None),
        "c" * 32: ("sos", "rec:sos:5", None, None),
        "d" * 32: ("call", "rec:call:9", None, None),
    }
    async with engine.begin() as conn:
        for number, (recording_id, (kind, room, ref, incident)) in enumerate(rows.items(), 1):
            await conn.execute(insert(CHANNELS).values(id=number, ref=ref, **channel))
            await conn.execute(insert(RECORDINGS).values(
                id=recording_id, kind=kind, room=room, channel_id=number, incident_id=incident,
                state="done", media="audio", container="ogg", codec="opus",
                content_type="audio/ogg", path="x.ogg", started_at=now,
            ))  # fmt: skip
    await migrate.upgrade(engine)
    subjects = await _column(engine, "subject")
    assert subjects == {"a" * 32: "incident:12", "b" * 32: "grid:7", "c" * 32: "sos:5"} | {
        "d" * 32: None
    }
    await migrate.downgrade(engine, "0008_auth_limits")
    assert (await _column(engine, "incident_id"))["a" * 32] == 12
    assert set((await _column(engine, "incident_id")).values()) == {12, None}


async def _column(engine: AsyncEngine, name: str) -> dict[str, object]:
    found = table("recordings", column("id"), column(name))
    async with engine.connect() as conn:
        return {row[0]: row[1] for row in await conn.execute(select(found))}


async def test_an_upgrade_reads_the_migration_folders_once(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alembic loads and compiles every migration file whenever it builds a ScriptDirectory:
    an upgrade of every branch builds one for the branches it runs and one with the folders
    it only knows, not one per branch and step (that made a node's start read them ~30 times)."""
    built: list[ScriptDirectory] = []
    real = ScriptDirectory.from_config.__func__  # type: ignore[attr-defined]

    def counted(cls: type[ScriptDirectory], cfg: Config) -> ScriptDirectory:
        built.append(real(cls, cfg))
        return built[-1]

    monkeypatch.setattr(ScriptDirectory, "from_config", classmethod(counted))
    folders = plugins.installed_migrations()
    assert len(folders) > 2
    await migrate.upgrade(engine, folders[:2], folders)
    assert len(built) == 2
    assert await migrate.current_heads(engine) == migrate.script_heads(folders[:2])
