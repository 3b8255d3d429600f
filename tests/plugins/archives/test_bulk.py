"""The import's bulk writes (plugins/archives/bulk.py): COPY on PostgreSQL, batched INSERTs on
SQLite. Ids come back in the rows' order, and a failure later in the transaction leaves nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from hub.sdk import utcnow
from plugins.archives import ArchivesPlugin
from plugins.archives.bulk import insert_rows
from plugins.archives.models import House
from storage import migrate
from storage.sql import create_engine


def houses_table() -> Table:
    table = House.__table__
    assert isinstance(table, Table)
    return table


HOUSES = houses_table()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    made = create_engine(database_url)
    location = ArchivesPlugin.migrations
    assert location is not None
    await migrate.upgrade(made, [location])
    yield made
    await made.dispose()


def houses(first: int, count: int) -> list[dict[str, Any]]:
    now = utcnow()
    return [{"grid_id": 7, "code": f"B{n:05d}", "address_text": f"测试路{n}号", "house_type":
             "bungalow", "use": "self", "owner_name": "", "area_m2": None, "floors": 2,
             "lng": 118.5 + n / 1e5, "lat": 35.1, "note": "", "version": 1, "created_at": now,
             "updated_at": now} for n in range(first, first + count)]  # fmt: skip


async def test_ids_come_back_in_order_of_the_rows(engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(engine)
    async with sessions.begin() as session:
        ids = await insert_rows(session, HOUSES, houses(0, 2500), want_ids=True)
        assert await insert_rows(session, HOUSES, houses(2500, 10)) == []
    async with sessions() as session:
        found = dict((await session.execute(select(House.id, House.code))).all())
    assert len(set(ids)) == len(ids) == 2500
    assert [found[i] for i in ids[:3]] + [found[ids[-1]]] == ["B00000", "B00001", "B00002",
                                                              "B02499"]  # fmt: skip
    assert len(found) == 2510


async def test_a_failure_after_the_copy_writes_nothing(engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(engine)

    async def copy_then_fail() -> None:
        async with sessions.begin() as session:
            await insert_rows(session, HOUSES, houses(0, 100), want_ids=True)
            raise RuntimeError("the next step of the import failed")

    with pytest.raises(RuntimeError):
        await copy_then_fail()
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(House)) == 0
    async with sessions.begin() as session:  # the same codes again: nothing was left behind
        assert len(await insert_rows(session, HOUSES, houses(0, 100), want_ids=True)) == 100
