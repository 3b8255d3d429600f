"""Group commit of the plugin's writes on both databases: bodies queued together share one
transaction, a failing body fails alone, a failed commit answers none of its batch as done;
and through the hub, concurrent reports and dispatches are all stored and answered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session

from hub.keys import SESSIONS
from plugins.dispatch.writes import Writes
from storage.models import AuditEntry
from storage.sql import create_engine, session_factory
from tests.hub.conftest import Hub
from tests.plugins.dispatch.conftest import StartDispatch, api_as, person_id, to_person

SCHEMA = (
    "CREATE TABLE parents (id INTEGER PRIMARY KEY)",
    "CREATE TABLE notes (id {serial} PRIMARY KEY, body TEXT NOT NULL UNIQUE, parent_id INTEGER"
    " REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)",
    "INSERT INTO parents (id) VALUES (1)",
)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[tuple[AsyncEngine, Writes]]:
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        serial = "SERIAL" if conn.dialect.name == "postgresql" else "INTEGER"
        for statement in SCHEMA:
            await conn.execute(text(statement.format(serial=serial)))
    writes = Writes(session_factory(engine))
    yield engine, writes
    await writes.close()
    await engine.dispose()


async def stored(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return list((await conn.scalars(text("SELECT body FROM notes ORDER BY id"))).all())


def note(body: str, parent: int = 1, fail: bool = False) -> Callable[[Session], tuple[str, Any]]:
    """Insert a note; return it and the transaction it was written in (PostgreSQL)."""

    def write(session: Session) -> tuple[str, Any]:
        insert = "INSERT INTO notes (body, parent_id) VALUES (:b, :p)"
        session.execute(text(insert), {"b": body, "p": parent})
        if fail:
            raise ValueError(f"{body} fails after writing")
        postgres = session.get_bind().dialect.name == "postgresql"
        return body, session.scalar(text("SELECT txid_current()")) if postgres else None

    return write


async def test_queued_bodies_share_a_commit_and_a_bad_row_fails_alone(
    store: tuple[AsyncEngine, Writes],
) -> None:
    engine, writes = store
    await writes.run(note("taken"))
    names = [f"n{i}" for i in range(10)]
    names[4] = "taken"  # violates the unique key inside the shared transaction
    calls = [writes.run(note(n, fail=i == 7)) for i, n in enumerate(names)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    assert failed == [results[4], results[7]]
    assert isinstance(results[4], IntegrityError)
    assert str(results[7]) == "n7 fails after writing"
    assert await stored(engine) == ["taken", *(n for n in names if n not in ("taken", "n7"))]
    txids = {r[1] for r in results if not isinstance(r, BaseException)}
    assert len(txids) == 1  # one transaction for all eight (None: SQLite, shared as well)


async def test_a_failed_commit_answers_none_of_its_batch_as_done(
    store: tuple[AsyncEngine, Writes],
) -> None:
    engine, writes = store
    # The orphan's foreign key is checked at COMMIT: every body succeeds, the commit fails.
    bodies = [note("a"), note("orphan", parent=99), note("b")]
    results = await asyncio.gather(*(writes.run(b) for b in bodies), return_exceptions=True)
    assert all(isinstance(r, IntegrityError) for r in results), results
    assert await stored(engine) == []
    assert (await writes.run(note("after")))[0] == "after"  # the writer goes on
    assert await stored(engine) == ["after"]


async def test_concurrent_reports_and_dispatches_are_all_stored_and_answered(
    start_dispatch: StartDispatch, database_url: str
) -> None:
    hub: Hub = await start_dispatch(database_url=database_url)
    dispatcher = await api_as(hub.client, "county.dispatch")
    worker = await person_id(hub.client, "w01")
    reports = [dispatcher.report(title=f"并发 {i}", client_ref=f"burst-{i:04d}") for i in range(24)]
    resend = dispatcher.report(title="并发 0", client_ref="burst-0000")
    filed = await asyncio.gather(*reports, resend)
    assert len({i["id"] for i in filed}) == len({i["number"] for i in filed}) == 24
    assert filed[-1]["id"] == filed[0]["id"]  # the resend is answered with the first
    stale = {**filed[5], "version": filed[5]["version"] + 1}  # someone acted meanwhile
    targets = [stale if i == 5 else incident for i, incident in enumerate(filed[:24])]
    answers = await asyncio.gather(*(
        dispatcher.act(t, "dispatch", status=409 if i == 5 else 200, assignees=to_person(worker))
        for i, t in enumerate(targets)
    ))  # fmt: skip
    assert answers[5]["error"]["code"] == "incident.conflict"
    for i, incident in enumerate(filed[:24]):
        now = await dispatcher.get(incident["id"])
        expected = ("registered", 1) if i == 5 else ("dispatched", 2)
        assert (now["state"], now["version"]) == expected
        actions = [e["action"] for e in now["timeline"]]
        assert actions == (["reported"] if i == 5 else ["reported", "dispatch"])
    async with hub.client.app[SESSIONS]() as session:
        ours = AuditEntry.action.in_(["dispatch.reported", "dispatch.dispatch"])
        audited = await session.execute(
            select(AuditEntry.action, func.count()).where(ours).group_by(AuditEntry.action)
        )
        counts = {row[0]: row[1] for row in audited}
        requests = set(await session.scalars(select(AuditEntry.request_id).where(ours)))
    assert counts == {"dispatch.reported": 24, "dispatch.dispatch": 23}
    assert len(requests - {None, ""}) == 24 + 23  # each row names its own request, batched or not
