"""The plugin's write transactions; on SQLite, one at a time, run straight on the event loop.

SQLite has one writer. Concurrent write transactions from the connection pool do not queue for
it: the losers sleep in SQLite's busy handler (1, 2, 5 … 100 ms steps) and retry, so under load
throughput collapses while the CPU idles. Taking an asyncio lock before the transaction makes
them queue in order instead, holding no connection while they wait. PostgreSQL needs no lock.

Through aiosqlite, every statement is three or four hand-overs between the event loop and the
driver's thread, each waiting for a turn of a busy loop (and for the GIL): with the lock held,
the transaction's wall time, not the CPU, limits throughput. So `run` takes a synchronous
transaction body and, on SQLite, runs it on the event loop itself on a connection of its own:
a dispatch transaction is a millisecond or two of SQLite and ORM work, less than the hand-overs
cost. The loop must never wait there for another connection's write lock, so that connection
has no busy timeout: `BEGIN IMMEDIATE` either takes the write lock at once or fails, and is then
retried after an asyncio sleep. Once it holds the lock nothing in the transaction waits.

On PostgreSQL the same body runs through `AsyncSession.run_sync`, and bodies share transactions
too (`PostgresGroup`): every commit is a WAL flush (fsync) and every transaction a pool
checkout with its ping, a BEGIN and a COMMIT, each a round trip through the busy event loop.
Many writers run batches at once, so a batch waiting on its commit does not hold up the next.
"""

from __future__ import annotations

import asyncio
import contextvars
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

from hub.sdk import Appends, sqlite_connect

T = TypeVar("T")


LOCK_WAIT_S = 30.0  # as long as the hub's other SQLite connections wait for the write lock
# The holder of the lock is often another connection of this process that needs a few turns of
# the loop to commit: first just yield to the loop, then back off.
RETRY_S = (0.0, 0.0, 0.0, 0.0005, 0.001, 0.002, 0.005, 0.01)  # then every 10 ms


CHECKPOINT_EVERY = 50  # group commits between passive WAL checkpoints
BATCH = 16  # bodies per group-committed transaction (the loop waits while one runs)
# PostgreSQL: batches in flight at once, each on a connection of the writers' pool. A batch's
# statements run one after another, each waiting for the server and then for the loop. When a
# body made ~10 round trips, 8 writers left the hub bound by those waits and 24 were needed;
# with a body's appended rows written per batch (4-6 round trips left), 8 writers make bigger
# batches: 2026-12-07, 200/s on a loaded machine, 4.4 ms of hub CPU per incident vs 5.2 with
# 24 (a third of the commits), and 60/s kept up with console p99 32 vs 78 ms.
PG_WRITERS = 8
PG_BATCH = 16  # PostgreSQL: bodies per transaction
COMMITTING = "dispatch.committing"  # session.info: the COMMIT was sent (no re-run after that)
Queued = tuple[Callable[[Session], Any], "asyncio.Future[Any]"]


class Writes:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        bind = sessions.kw.get("bind")
        single = bind is not None and bind.dialect.name == "sqlite"
        self._lock = asyncio.Lock() if single else None
        self._engine: Engine | None = None
        self._sync: sessionmaker[Session] | None = None
        self._checkpoints: Checkpoints | None = None
        if bind is not None and single:
            path = bind.url.database
            assert path, "the dispatch plugin needs a file database"
            self._engine = _sqlite_engine(path)
            self._sync = sessionmaker(self._engine, expire_on_commit=False)
            self._checkpoints = Checkpoints(path)
        self._queue: list[Queued] = []
        self._committer: asyncio.Task[None] | None = None
        self._beside: list[tuple[Callable[[], Awaitable[Any]], asyncio.Future[Any]]] = []
        self._besider: asyncio.Task[None] | None = None
        self._group = None
        if bind is not None and not single:
            self._group = PostgresGroup(_writer_sessions(sessions), own_engine=True)

    @property
    def serialised(self) -> bool:
        """Write transactions run one at a time here, so none can hold a row lock long."""
        return self._lock is not None

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction that commits when the block ends (rolls back on error)."""
        if self._lock is None:
            async with self._sessions.begin() as session:
                yield session
            return
        async with self._lock, self._sessions.begin() as session:
            yield session

    async def run(self, body: Callable[[Session], T], *, urgent: bool = False) -> T:
        """`body` in a transaction that commits before this returns (none of it if it raises).

        Bodies queued while transactions run share the next one (group commit), each in a
        savepoint of its own: one that raises is rolled back alone. Each caller is answered
        only once its batch has committed; if the commit fails, every caller gets the error.
        `urgent`: others wait for this one (a block of incident numbers), so it jumps the queue;
        on PostgreSQL it is a transaction of its own, not waiting for a writer.
        """
        if self._group is not None and not urgent:
            return await self._group.run(body)
        if self._lock is None or self._sync is None:
            async with self._sessions.begin() as pooled:
                return await pooled.run_sync(body)
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.insert(0 if urgent else len(self._queue), (in_callers_context(body), done))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_queued(self._lock, self._sync))
        result: T = await done
        return result

    async def _commit_queued(self, lock: asyncio.Lock, sync: sessionmaker[Session]) -> None:
        while self._queue:
            async with lock:  # taken per batch: `begin` users waiting get their turn between
                batch, self._queue = self._queue[:BATCH], self._queue[BATCH:]
                try:
                    outcomes = _run_batch(await self._locked_session(sync), batch)
                except Exception as exc:  # no transaction, or the commit failed: none of it
                    outcomes = [_Failed(exc)] * len(batch)
            for (_body, done), outcome in zip(batch, outcomes, strict=True):
                _settle(done, outcome)
            if self._checkpoints is not None:
                self._checkpoints.committed()
            await asyncio.sleep(0)  # let the loop run between transactions

    async def alongside(self, call: Callable[[], Awaitable[T]]) -> T:
        """Another part's writes to the same database (the SLA timers') made for this plugin.

        On SQLite, calls queued meanwhile start together while the plugin's own transactions
        wait on the lock: they share that part's own group commit, and its connection does not
        race the plugin's for SQLite's write lock (where its busy handler, backing off up to
        100 ms, lost to the plugin's prompt retries under load).
        """
        if self._lock is None:
            return await call()
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._beside.append((call, done))
        if self._besider is None or self._besider.done():
            self._besider = asyncio.create_task(self._run_beside(self._lock))
        result: T = await done
        return result

    async def _run_beside(self, lock: asyncio.Lock) -> None:
        while self._beside:
            batch, self._beside = self._beside, []
            async with lock:
                outcomes = await asyncio.gather(*(c() for c, _ in batch), return_exceptions=True)
            for (_call, done), outcome in zip(batch, outcomes, strict=True):
                if done.done():
                    continue
                if isinstance(outcome, BaseException):
                    done.set_exception(outcome)
                else:
                    done.set_result(outcome)

    @staticmethod
    async def _locked_session(sync: sessionmaker[Session]) -> Session:
        """A session whose transaction holds SQLite's write lock (`BEGIN IMMEDIATE`)."""
        deadline = time.monotonic() + LOCK_WAIT_S
        for attempt in range(100_000):  # bounded by the deadline long before
            session = sync()
            try:
                session.connection()
                return session
            except OperationalError as exc:
                session.close()
                if not _busy(exc) or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(RETRY_S[min(attempt, len(RETRY_S) - 1)])
        raise RuntimeError("unreachable: the write-lock wait is bounded by its deadline")

    async def close(self) -> None:
        if self._group is not None:
            await self._group.close()
        if self._engine is not None:
            self._engine.dispose()
        if self._checkpoints is not None:
            await asyncio.to_thread(self._checkpoints.close)


def in_callers_context(body: Callable[[Session], T]) -> Callable[[Session], T]:
    """`body` to run in its caller's context: a batch runs in a writer task, but each body's
    audit row names its own request (id, source address: context variables)."""
    context = contextvars.copy_context()
    return lambda session: context.run(body, session)


class _Failed:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc


class PostgresGroup:
    """Group commit on PostgreSQL: up to `writers` tasks, each taking what is queued (up to
    `batch`) into one transaction on a pooled connection. Unloaded, a body is a transaction of
    its own at once (no lingering); loaded, the queue grows while the writers are busy and the
    next batches carry it. Batches in flight lock different rows unless two requests touch the
    same incident, and then the later one waits for the earlier commit, as it would alone.

    The writers' connections are not pinged on checkout (a round trip per batch): a batch that
    finds its connection broken before its COMMIT was sent has nothing committed, and is run
    once more on a new connection; if that fails too (or the COMMIT itself failed), its callers
    get the error."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writers: int = PG_WRITERS,
        batch: int = PG_BATCH,
        *,
        own_engine: bool = False,
    ) -> None:
        self._sessions, self._writers, self._batch = sessions, writers, batch
        self._own_engine = own_engine  # disposed by `close`
        self._queue: list[Queued] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.batches = 0  # transactions committed (or failed), for tests and profiles
        self.bodies = 0
        self.retried = 0  # batches run again after a broken connection

    async def run(self, body: Callable[[Session], T]) -> T:
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((in_callers_context(body), done))
        if len(self._tasks) < self._writers:
            task = asyncio.create_task(self._drain(), name="dispatch-writes")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        result: T = await done
        return result

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self._batch], self._queue[self._batch :]
            try:
                outcomes = await self._transaction(batch)
            except BaseException:  # cancelled (shutdown): committed or not, nobody is told "ok"
                for _body, done in batch:
                    done.cancel()
                raise
            self.batches, self.bodies = self.batches + 1, self.bodies + len(batch)
            for (_body, done), outcome in zip(batch, outcomes, strict=True):
                _settle(done, outcome)

    async def _transaction(self, batch: list[Queued]) -> list[Any]:
        """The batch's outcomes; run again once if its connection broke before the COMMIT."""
        for attempt in range(2):
            session = self._sessions()
            try:
                async with session:
                    return await session.run_sync(_optimistic_batch, batch)
            except Exception as exc:  # no connection, or the commit failed: none of it
                if attempt or not _disconnected(exc) or session.sync_session.info.get(COMMITTING):
                    return [_Failed(exc)] * len(batch)
            self.retried += 1
        raise RuntimeError("unreachable: the second attempt returns")

    async def close(self) -> None:
        """Let the batches queued and running finish (their callers are answered)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        bind = self._sessions.kw.get("bind")
        if self._own_engine and bind is not None:
            await bind.dispose()


def _writer_sessions(
    sessions: async_sessionmaker[AsyncSession],
) -> async_sessionmaker[AsyncSession]:
    """Sessions like the hub's on an engine of the writers' own, without the hub's pre-ping on
    every checkout. Its pool grows only to the writers busy at once (at most `PG_WRITERS`)."""
    kw = dict(sessions.kw)
    engine = create_async_engine(
        kw.pop("bind").url, pool_size=PG_WRITERS, max_overflow=0, pool_pre_ping=False
    )
    return async_sessionmaker(engine, **kw)


def _disconnected(exc: BaseException) -> bool:
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def _run_batch(session: Session, batch: list[Queued]) -> list[Any]:
    with session:
        Appends.install(session)
        return _bodies_then_commit(session, batch)


def _optimistic_batch(session: Session, batch: list[Queued]) -> list[Any]:
    """PostgreSQL: all bodies straight in the transaction, no savepoints (each would cost two
    round trips); if one raises, roll back and run the others again, each in a savepoint. The
    bodies are functions of the database alone, so running one again is running it once.
    The rows the bodies only append (timeline, audit, ...) are queued and written just before
    the commit, one statement per table for the whole batch (`Appends`)."""
    appends = Appends.install(session)
    outcomes: list[Any] = []
    for index, (body, _done) in enumerate(batch):
        try:
            outcomes.append(body(session))
        except Exception as exc:
            if _disconnected(exc):
                raise  # nothing of the batch is committed: the writer runs it again
            session.rollback()
            appends.clear()
            failed = {index: _Failed(exc)}
            return _bodies_then_commit(session, batch, failed)
        session.expunge_all()
    return _committed(session, outcomes)


def _bodies_then_commit(
    session: Session, batch: list[Queued], failed: dict[int, _Failed] | None = None
) -> list[Any]:
    """Each body in a savepoint of the session's transaction (a lone body needs none: it is the
    transaction), then one commit; returns what each returned or raised (wrapped in `_Failed`).
    `failed`: bodies that failed already, not run again. A failed commit raises: the caller
    fails the whole batch. A failing body's queued rows are dropped with its savepoint."""
    failed = failed or {}
    appends = Appends.of(session) or Appends.install(session)
    outcomes: list[Any] = []
    for index, (body, _done) in enumerate(batch):
        if index in failed:
            outcomes.append(failed[index])
            continue
        mark = appends.mark()
        try:
            if len(batch) == 1:
                outcomes.append(body(session))
                break
            with session.begin_nested():
                outcomes.append(body(session))
        except Exception as exc:
            appends.undo(mark)
            outcomes.append(_Failed(exc))
        session.expunge_all()  # all flushed: the next body starts from an empty identity map
    return _committed(session, outcomes)


def _committed(session: Session, outcomes: list[Any]) -> list[Any]:
    """Write the queued rows and commit, unless every body failed; if either fails, it raises."""
    appends = Appends.of(session)
    if all(isinstance(o, _Failed) for o in outcomes):
        session.rollback()
        return outcomes
    try:
        if appends is not None:
            appends.write(session)
        session.info[COMMITTING] = True  # from here on, a broken connection may have committed
        session.commit()
    except Exception:
        # SQLite leaves the transaction open after a failed COMMIT (a deferred constraint):
        # without this the connection would refuse the next BEGIN.
        session.rollback()
        raise
    return outcomes


def _settle(done: asyncio.Future[Any], outcome: Any) -> None:
    if done.done():  # the caller gave up waiting; what it asked for is committed all the same
        return
    if isinstance(outcome, _Failed):
        done.set_exception(outcome.exc)
    else:
        done.set_result(outcome)


def _busy(exc: OperationalError) -> bool:
    return isinstance(exc.orig, sqlite3.OperationalError) and "locked" in str(exc.orig)


def _connect(path: str) -> sqlite3.Connection:
    db = sqlite_connect(path)
    db.execute("PRAGMA busy_timeout=0")  # never wait on the event loop: fail, and retry later
    db.execute("PRAGMA wal_autocheckpoint=0")  # a checkpoint's fsync is not for the loop either
    return db


class Checkpoints:
    """Passive WAL checkpoints every `every` commits, on a thread with a connection of its own
    (the loop's connection does none: a checkpoint copies pages and syncs the file)."""

    def __init__(self, path: str, every: int = CHECKPOINT_EVERY) -> None:
        self._path, self._every, self._commits = path, every, 0
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dispatch-ckpt")
        self._db: sqlite3.Connection | None = None

    def committed(self) -> None:
        self._commits += 1
        if self._commits % self._every == 0:
            self._thread.submit(self._checkpoint)

    def _checkpoint(self) -> None:
        if self._db is None:
            self._db = sqlite_connect(self._path)
        self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def close(self) -> None:
        self._thread.submit(self._close)
        self._thread.shutdown(wait=True)

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def _sqlite_engine(path: str) -> Engine:
    """A synchronous engine on the same file: the driver's own transaction handling off (the
    connection is in autocommit mode), and every transaction opened as `BEGIN IMMEDIATE`, so it
    holds the write lock from its first statement and savepoints work."""
    engine = create_engine(f"sqlite:///{path}", creator=lambda: _connect(path), pool_size=1)

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
