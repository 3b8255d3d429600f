"""Group commit of the plugin's writes on both databases: bodies queued together share one
transaction, a failing body fails alone, a failed commit answers none of its batch as done, the
rows bodies only append go in one statement per table for a batch (a failing body's none) and
name their own requests, a broken connection (no pre-ping) runs its batch again; and through
the hub, concurrent reports and dispatches are all stored and answered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, cast

import pytest
from sqlalchemy import Engine, Table, event, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session

from hub import audit
from hub.audit import Actor, request_id_var
from hub.keys import SESSIONS
from hub.sdk import append_row, settle_rows
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
    "CREATE TABLE lines (id {serial} PRIMARY KEY, note TEXT NOT NULL)",
)
INSERT_LINE = text("INSERT INTO lines (note) VALUES (:note)")


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[tuple[AsyncEngine, Writes]]:
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        serial = "SERIAL" if conn.dialect.name == "postgresql" else "INTEGER"
        for statement in SCHEMA:
            await conn.execute(text(statement.format(serial=serial)))
        await conn.run_sync(cast(Table, AuditEntry.__table__).create)
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


async def lines(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return list((await conn.scalars(text("SELECT note FROM lines ORDER BY id"))).all())


def noted(name: str, fail: bool = False) -> Callable[[Session], str]:
    """A note written at once, a line and an audit row appended; then perhaps a failure."""

    def write(session: Session) -> str:
        session.execute(text("INSERT INTO notes (body, parent_id) VALUES (:b, 1)"), {"b": name})
        append_row(session, INSERT_LINE, {"note": name}, ("line", name))
        audit.append(session, Actor("test"), "test.noted", "note", name)
        if fail:
            raise ValueError(f"{name} fails after appending")
        return name

    return write


@pytest.fixture
def line_inserts() -> Iterator[list[str]]:
    """Every statement that inserts into `lines`, on any engine (the writers have their own)."""
    seen: list[str] = []

    def executed(*args: Any) -> None:
        if "INSERT INTO lines" in args[2]:
            seen.append(args[2])

    event.listen(Engine, "before_cursor_execute", executed)
    yield seen
    event.remove(Engine, "before_cursor_execute", executed)


async def test_appended_rows_go_in_one_statement_per_batch_naming_their_own_requests(
    store: tuple[AsyncEngine, Writes], line_inserts: list[str]
) -> None:
    engine, writes = store

    async def call(i: int) -> str:
        request_id_var.set(f"req-{i}")  # this caller's task only
        return await writes.run(noted(f"n{i}", fail=i == 3))

    results = await asyncio.gather(*(call(i) for i in range(8)), return_exceptions=True)
    assert [r for r in results if isinstance(r, BaseException)] == [results[3]]
    kept = [f"n{i}" for i in range(8) if i != 3]
    assert await stored(engine) == kept
    assert await lines(engine) == kept  # the failing body's line is not there
    assert len(line_inserts) == 1  # all seven lines in one statement
    async with engine.connect() as conn:
        found = await conn.execute(select(AuditEntry.target_id, AuditEntry.request_id))
        audited = {str(target): request for target, request in found}
    assert audited == {name: f"req-{name[1:]}" for name in kept}


async def test_a_body_sees_the_rows_it_settles_and_its_failure_takes_back_none_of_theirs(
    store: tuple[AsyncEngine, Writes],
) -> None:
    engine, writes = store

    def count_then_fail(session: Session) -> int:
        settle_rows(session, ("line", "a"))  # a's line, queued by the body before this one
        seen = int(session.scalar(text("SELECT count(*) FROM lines")) or 0)
        if seen == 1:  # the write of a's line is rolled back with this body's savepoint
            raise ValueError(f"saw {seen}")
        return seen

    # x fails first, so on PostgreSQL too the others run again, each in a savepoint.
    results = await asyncio.gather(
        writes.run(noted("x", fail=True)), writes.run(noted("a")), writes.run(count_then_fail),
        writes.run(noted("b")), return_exceptions=True,
    )  # fmt: skip
    assert [str(r) for r in results] == ["x fails after appending", "a", "saw 1", "b"]
    assert await lines(engine) == ["a", "b"]  # a's line written once, after all


# PostgreSQL only: its writers' connections are not pinged on checkout (SQLite has one writer
# connection of its own and nothing to break it)
@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_batch_on_a_broken_connection_runs_again_on_a_new_one(
    store: tuple[AsyncEngine, Writes],
) -> None:
    engine, writes = store
    assert writes._group is not None
    await writes.run(noted("first"))  # the writers' pool now holds an idle connection
    kill = (
        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"  # gone on return
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    async with engine.begin() as conn:
        assert (await conn.scalars(text(kill))).all()
    assert await writes.run(noted("second")) == "second"
    assert writes._group.retried == 1
    assert await stored(engine) == await lines(engine) == ["first", "second"]


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
