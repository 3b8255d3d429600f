"""The plugin's SQLite writes: group commit, a savepoint per body, lock waits off the loop."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from plugins.dispatch.writes import Writes
from storage.batch_writer import sqlite_connect
from storage.sql import create_engine, session_factory


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[tuple[Path, Writes]]:
    path = tmp_path / "writes.db"
    with sqlite_connect(str(path)) as db:
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    writes = Writes(session_factory(engine))
    yield path, writes
    await writes.close()
    await engine.dispose()


def bodies(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [row[0] for row in db.execute("SELECT body FROM notes ORDER BY id")]


def note(body: str, fail: bool = False) -> Callable[[Session], str]:
    def write(session: Session) -> str:
        session.execute(text("INSERT INTO notes (body) VALUES (:b)"), {"b": body})
        if fail:
            raise ValueError(f"{body} fails after writing")
        return body

    return write


async def test_bodies_queued_together_commit_but_a_failing_one_is_rolled_back_alone(
    database: tuple[Path, Writes],
) -> None:
    path, writes = database
    calls = [writes.run(note(f"n{i}", fail=i == 3)) for i in range(8)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert [r for r in results if isinstance(r, Exception)] == [results[3]]
    assert str(results[3]) == "n3 fails after writing"
    assert bodies(path) == [f"n{i}" for i in range(8) if i != 3]


async def test_a_write_waits_for_another_writer_without_blocking_the_loop(
    database: tuple[Path, Writes],
) -> None:
    path, writes = database
    other = sqlite_connect(str(path))
    other.execute("BEGIN IMMEDIATE")  # another connection holds SQLite's write lock
    writing = asyncio.create_task(writes.run(note("after")))
    ticks = 0
    while ticks < 20:  # the loop keeps running while the write waits for the lock
        await asyncio.sleep(0.005)
        ticks += 1
    assert not writing.done()
    other.execute("INSERT INTO notes (body) VALUES ('first')")
    other.execute("COMMIT")
    other.close()
    assert await asyncio.wait_for(writing, 5) == "after"
    assert bodies(path) == ["first", "after"]


async def test_a_lone_failing_body_leaves_nothing_behind(database: tuple[Path, Writes]) -> None:
    path, writes = database
    with pytest.raises(ValueError, match="alone fails after writing"):
        await writes.run(note("alone", fail=True))
    assert await writes.run(note("next")) == "next"
    assert bodies(path) == ["next"]


async def test_calls_alongside_start_together_and_wait_for_the_plugins_writes(
    database: tuple[Path, Writes],
) -> None:
    _path, writes = database
    started: list[str] = []
    both, release = asyncio.Event(), asyncio.Event()

    async def other_write(name: str) -> str:
        started.append(name)
        if len(started) == 2:
            both.set()
        await release.wait()
        return name

    async with writes.begin():  # a write of the plugin holds the lock
        calls = [asyncio.create_task(writes.alongside(partial(other_write, n))) for n in "ab"]
        for _ in range(20):  # give the loop turns: nothing may start meanwhile
            await asyncio.sleep(0)
        assert started == []
    await asyncio.wait_for(both.wait(), 5)  # both at once: they can share one commit
    release.set()
    assert await asyncio.gather(*calls) == ["a", "b"]
