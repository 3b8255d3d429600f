"""The archives plugin's own Alembic branch builds exactly its models, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import secrets
from typing import Any

from sqlalchemy import func, insert, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

import plugins.archives.models
from hub.sdk import PersonalBox
from plugins.archives import ArchivesPlugin, cells
from plugins.archives.keys import Hasher
from plugins.archives.models import House, HouseCell, Resident
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


async def test_lookup_digests_move_to_the_sdk_digest(database_url: str) -> None:
    """a0004: an archive hashed under the plugin's old key is rehashed with the deployment's
    `personal.lookup` from its sealed values, and the plugin's key table goes."""
    location = ArchivesPlugin.migrations
    assert location is not None
    key = secrets.token_bytes(32)
    box = PersonalBox(key)
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine, [location])
        # back to the plugin's own key table
        await migrate.downgrade(engine, "a0003_name_pattern", [location])
        await _old_archive(engine, key, box)
        await migrate.upgrade(engine, [location])
        async with engine.connect() as conn:
            row = (await conn.execute(select(Resident.id_hash, Resident.phone_hash))).one()
            names = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()
    assert "archives_keys" not in names
    hasher = Hasher(box)
    assert row == (hasher.id_number("11010519491231002x"), hasher.phone("138 0013 8000"))


async def _old_archive(engine: AsyncEngine, key: bytes, box: PersonalBox) -> None:
    """The hub's sealing key and one person whose digests are of another key."""
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM hub_settings WHERE key = 'personal.sealing_key'"))
        await conn.execute(
            text("INSERT INTO hub_settings (key, value) VALUES ('personal.sealing_key', :v)"),
            {"v": base64.urlsafe_b64encode(key).decode()},
        )
        await conn.execute(
            insert(Resident).values(
                grid_id=1,
                category="registered",
                name="张三",
                sex="M",
                id_sealed=box.seal("11010519491231002X"),
                id_hash="0" * 64,
                id_masked="110105********002X",
                phone_sealed=box.seal("13800138000"),
                phone_hash="1" * 64,
                phone_masked="138****8000",
            )
        )


async def test_house_cells_are_filled_from_the_houses_already_there(database_url: str) -> None:
    """a0005: an archive that had houses before the cluster summary gets them counted, per
    level, grid and cell (houses without a position are not on the map)."""
    location = ArchivesPlugin.migrations
    assert location is not None
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine, [location])
        await migrate.downgrade(engine, "a0004_lookup_digest", [location])
        async with engine.begin() as conn:
            for code, lng, lat in (("A", 118.5801, 36.9001), ("B", 118.5803, 36.9003),
                                   ("C", 118.6001, 36.9001), ("D", None, None)):  # fmt: skip
                await conn.execute(insert(House).values(
                    grid_id=7, code=code, address_text=code, house_type="bungalow", use="self",
                    owner_name="", lng=lng, lat=lat))  # fmt: skip
        await migrate.upgrade(engine, [location])
        async with engine.connect() as conn:
            level13 = (await conn.execute(
                select(HouseCell.grid_id, HouseCell.cx, HouseCell.houses)
                .where(HouseCell.level == 13).order_by(HouseCell.cx))).all()  # fmt: skip
            total = await conn.scalar(select(func.sum(HouseCell.houses)))
    finally:
        await engine.dispose()
    assert [tuple(row) for row in level13] == [(7, 7589, 2), (7, 7590, 1)]
    assert total == 3 * 8  # three located houses on each of the 8 levels


async def test_house_cell_is_filled_for_the_houses_already_there(database_url: str) -> None:
    """a0006: houses stored before each kept its zoom-16 map cell get it (as the writers
    compute it), houses without a position none."""
    location = ArchivesPlugin.migrations
    assert location is not None
    engine = create_engine(database_url)
    houses = (("A", 118.5801, 36.9001), ("B", -0.0001, 51.4779), ("C", None, None))
    try:
        await migrate.upgrade(engine, [location])
        await migrate.downgrade(engine, "a0005_house_cells", [location])
        async with engine.begin() as conn:
            for code, lng, lat in houses:
                await conn.execute(insert(House).values(
                    grid_id=7, code=code, address_text=code, house_type="bungalow", use="self",
                    owner_name="", lng=lng, lat=lat))  # fmt: skip
        await migrate.upgrade(engine, [location])
        async with engine.connect() as conn:
            found = (await conn.execute(select(House.code, House.cell_x, House.cell_y)
                                        .order_by(House.code))).all()  # fmt: skip
    finally:
        await engine.dispose()
    assert [tuple(row) for row in found] == [
        (code, *cells.house_cell(lng, lat)) for code, lng, lat in houses
    ]
    assert cells.house_cell(-0.0001, 51.4779) == (-1, 26356)  # floor, not truncation


async def test_house_cell_index_covers_the_drawn_columns_on_postgres(database_url: str) -> None:
    """a0008: on PostgreSQL the (cell_y, cell_x) index INCLUDEs the columns the single-house
    view draws (an index-only scan), and a downgrade gives back the plain index; SQLite keeps
    the plain index throughout."""
    location = ArchivesPlugin.migrations
    assert location is not None
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine, [location])
        covered = await _cell_index(engine)
        await migrate.downgrade(engine, "a0007_visit_incident", [location])
        plain = await _cell_index(engine)
    finally:
        await engine.dispose()
    drawn = ["lng", "lat", "grid_id", "id", "address_text", "code", "use"]
    postgres = database_url.startswith("postgresql")
    assert covered == (["cell_y", "cell_x"], drawn if postgres else [])
    assert plain == (["cell_y", "cell_x"], [])


async def _cell_index(engine: AsyncEngine) -> tuple[list[str], list[str]]:
    async with engine.connect() as conn:
        found = await conn.run_sync(lambda c: inspect(c).get_indexes("archives_houses"))
    index = next(i for i in found if i["name"] == "ix_archives_houses_cell")
    options: dict[str, Any] = dict(index.get("dialect_options") or {})
    return list(index["column_names"]), list(options.get("postgresql_include") or [])
