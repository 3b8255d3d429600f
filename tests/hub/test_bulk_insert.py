"""`ctx.bulk_insert`: a plugin's hot append path, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    select,
)

from hub.bulk_insert import BulkInsert
from hub.plugins import BasePlugin, PluginContext
from tests.hub.conftest import StartHub

LOG = Table(
    "watch_log",
    MetaData(),
    Column("source", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("note", String(40), nullable=False),
    Column("body", JSON, nullable=False),
)


class Logger(BasePlugin):
    name = "logger"

    async def setup(self, ctx: PluginContext) -> None:
        self.ctx = ctx
        async with ctx.sessions.begin() as session:  # as the plugin's migration would
            await (await session.connection()).run_sync(LOG.create)


@pytest.fixture
async def logged(
    start_hub: StartHub, database_url: str
) -> AsyncIterator[tuple[PluginContext, BulkInsert]]:
    plugin = Logger()
    await start_hub(demo=False, database_url=database_url, with_plugins={"logger": plugin})
    sink = plugin.ctx.bulk_insert(LOG)
    yield plugin.ctx, sink
    await sink.close()


async def stored(ctx: PluginContext) -> list[tuple[Any, ...]]:
    async with ctx.sessions() as session:
        rows = await session.execute(select(LOG).order_by(LOG.c.source, LOG.c.seq))
        return [tuple(row) for row in rows]


async def test_rows_are_appended_and_a_stored_key_is_skipped(
    logged: tuple[PluginContext, BulkInsert],
) -> None:
    ctx, sink = logged
    await sink.insert([(1, 1, "一", '{"level":2.5}'), (1, 2, "二", '{"tags":["水位"]}')])
    await sink.insert([(1, 2, "again", '{"x":1}'), (2, 1, "三", "{}")])  # (1, 2) is stored
    assert await stored(ctx) == [
        (1, 1, "一", {"level": 2.5}),
        (1, 2, "二", {"tags": ["水位"]}),
        (2, 1, "三", {}),
    ]


async def test_a_failing_batch_stores_none_of_its_rows(
    logged: tuple[PluginContext, BulkInsert],
) -> None:
    ctx, sink = logged
    with pytest.raises(Exception):  # noqa: B017, PT011 (the driver's own integrity error)
        await sink.insert([(3, 1, "fine", "{}"), (3, 2, None, "{}")])  # note is NOT NULL
    assert await stored(ctx) == []
    await sink.insert([(3, 1, "fine", "{}")])  # the writer still works afterwards
    assert await stored(ctx) == [(3, 1, "fine", {})]


async def test_only_plain_sql_names_are_accepted(
    logged: tuple[PluginContext, BulkInsert],
) -> None:
    ctx, _ = logged
    odd = Table('log"; drop', MetaData(), Column("a", Integer, primary_key=True))
    with pytest.raises(ValueError, match="plain SQL name"):
        ctx.bulk_insert(odd)
