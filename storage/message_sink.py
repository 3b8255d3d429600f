"""Driver-level batch writes of channel messages: the hub's hottest write path.

One call writes one batch in one transaction: lock the channels' rows and read their heads,
find resends already stored, insert the fresh rows with consecutive offsets, advance the heads.
SQLite runs it on one dedicated thread (a single hop per batch); PostgreSQL on a dedicated
asyncpg connection. Measured here: the same batch through the ORM session costs about ten
times the CPU.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.engine import make_url

from storage.batch_writer import PostgresBatchWriter, SqliteBatchWriter

Key = tuple[int, int | None, str]  # channel, sender, client_msg_id: what makes a send idempotent


@dataclass(frozen=True, slots=True)
class Item:
    """One message to store; a `client_msg_id` makes its send idempotent."""

    channel_id: int
    sender_id: int | None
    client_msg_id: str | None
    kind: str
    body: dict[str, Any]
    mentions: list[int]


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A stored channel message, as the sink answers it and the hub hands it on (hub.channels,
    hub.chat): the one row type of channel messages above the ORM."""

    id: int
    channel_id: int
    offset: int
    epoch: str
    sender_id: int | None
    client_msg_id: str | None
    kind: str
    body: dict[str, Any]
    mentions: tuple[int, ...]
    created_at: datetime
    replayed: bool = False  # True when this answers a resend of an already stored message


@dataclass(frozen=True, slots=True)
class Written:
    """Per item, in order: the stored message, or a reason ("no_channel", "no_sender")."""

    outcomes: list[StoredMessage | str]
    replayed: list[bool]
    inserted: int


class MessageSink(Protocol):
    async def write(self, items: Sequence[Item], known_senders: set[int]) -> Written: ...

    async def close(self) -> None: ...


def open_sink(url: str) -> MessageSink:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return SqliteSink(parsed.database or ":memory:")
    return PostgresSink(parsed.set(drivername="postgresql").render_as_string(False))


# ---- the batch logic, shared ---------------------------------------------------------------


def plan(
    items: Sequence[Item],
    heads: dict[int, tuple[int, str]],
    senders: set[int],
    stored: dict[Key, StoredMessage],
    now: datetime,
) -> tuple[list[StoredMessage | str | None], list[bool], list[tuple[int, dict[str, Any]]]]:
    """Decide every item: refused, a resend of a stored row, or new (offset assigned)."""
    outcomes: list[StoredMessage | str | None] = []
    replayed: list[bool] = []
    fresh: list[tuple[int, dict[str, Any]]] = []
    last = {cid: head[0] for cid, head in heads.items()}
    first_in_batch: dict[tuple[int, int | None, str], int] = {}
    for index, item in enumerate(items):
        outcome, again = _decide(item, heads, senders, stored, first_in_batch)
        if outcome is None and again is False:
            last[item.channel_id] += 1
            fresh.append((index, _values(item, last[item.channel_id], now)))
            if item.client_msg_id is not None:
                first_in_batch[(item.channel_id, item.sender_id, item.client_msg_id)] = index
        outcomes.append(outcome)
        replayed.append(again)
    return outcomes, replayed, fresh


def _decide(
    item: Item,
    heads: dict[int, tuple[int, str]],
    senders: set[int],
    stored: dict[Key, StoredMessage],
    first_in_batch: dict[tuple[int, int | None, str], int],
) -> tuple[StoredMessage | str | None, bool]:
    if item.channel_id not in heads:
        return "no_channel", False
    if item.sender_id is not None and item.sender_id not in senders:
        return "no_sender", False
    if item.client_msg_id is None:
        return None, False
    key = (item.channel_id, item.sender_id, item.client_msg_id)
    if key in stored:
        return stored[key], True
    if key in first_in_batch:
        return None, True  # resolved to the first copy once it is stored
    return None, False


def finish(
    items: Sequence[Item],
    planned: tuple[list[StoredMessage | str | None], list[bool], list[tuple[int, dict[str, Any]]]],
    ids: list[int],
    heads: dict[int, tuple[int, str]],
) -> Written:
    outcomes, replayed, fresh = planned
    for (index, values), row_id in zip(fresh, ids, strict=True):
        outcomes[index] = StoredMessage(id=row_id, epoch=heads[values["channel_id"]][1], **values)
    first: dict[Key, StoredMessage] = {}
    for item, outcome in zip(items, outcomes, strict=True):
        if isinstance(outcome, StoredMessage) and item.client_msg_id is not None:
            first.setdefault((item.channel_id, item.sender_id, item.client_msg_id), outcome)
    done = [_resolved(item, o, first) for item, o in zip(items, outcomes, strict=True)]
    return Written(done, replayed, len(ids))


def _resolved(
    item: Item, outcome: StoredMessage | str | None, first: dict[Key, StoredMessage]
) -> StoredMessage | str:
    if outcome is not None:
        return outcome
    return first[(item.channel_id, item.sender_id, item.client_msg_id or "")]


def _values(item: Item, offset: int, now: datetime) -> dict[str, Any]:
    return {
        "channel_id": item.channel_id,
        "offset": offset,
        "sender_id": item.sender_id,
        "client_msg_id": item.client_msg_id,
        "kind": item.kind,
        "body": item.body,
        "mentions": tuple(item.mentions),
        "created_at": now,
    }


def advanced(
    fresh: list[tuple[int, dict[str, Any]]], heads: dict[int, tuple[int, str]]
) -> dict[int, int]:
    last: dict[int, int] = {}
    for _index, values in fresh:
        last[values["channel_id"]] = values["offset"]
    return {cid: n for cid, n in last.items() if n != heads[cid][0]}


# ---- SQLite: one dedicated thread ----------------------------------------------------------

SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


CHECKPOINT_EVERY = 256  # batches between background WAL checkpoints


class SqliteSink:
    def __init__(self, path: str) -> None:
        self._writer = SqliteBatchWriter(path, "message-sink", CHECKPOINT_EVERY)

    async def write(self, items: Sequence[Item], known_senders: set[int]) -> Written:
        batch = list(items)
        return await self._writer.run(lambda db: _sqlite_transaction(db, batch, known_senders))

    async def close(self) -> None:
        await self._writer.close()


def _sqlite_transaction(db: sqlite3.Connection, items: list[Item], known: set[int]) -> Written:
    heads = _sqlite_heads(db, {i.channel_id for i in items})
    known.update(_sqlite_people(db, {i.sender_id for i in items} - known - {None}))
    stored = _sqlite_stored(db, items, heads)
    planned = plan(items, heads, known, stored, datetime.now(UTC))
    ids = [_sqlite_insert(db, values) for _index, values in planned[2]]
    for channel_id, last in advanced(planned[2], heads).items():
        db.execute("UPDATE channels SET last_offset = ? WHERE id = ?", (last, channel_id))
    return finish(items, planned, ids, heads)


def _marks(count: int) -> str:
    return ",".join("?" * count)


def _sqlite_heads(db: sqlite3.Connection, ids: set[int]) -> dict[int, tuple[int, str]]:
    sql = f"SELECT id, last_offset, epoch FROM channels WHERE id IN ({_marks(len(ids))})"
    return {cid: (last, epoch) for cid, last, epoch in db.execute(sql, sorted(ids))}


def _sqlite_people(db: sqlite3.Connection, ids: set[int | None]) -> set[int]:
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return set()
    sql = f"SELECT id FROM people WHERE id IN ({_marks(len(wanted))})"
    return {row[0] for row in db.execute(sql, wanted)}


def _sqlite_stored(
    db: sqlite3.Connection, items: list[Item], heads: dict[int, tuple[int, str]]
) -> dict[Key, StoredMessage]:
    keyed = [i for i in items if i.client_msg_id is not None and i.channel_id in heads]
    if not keyed:
        return {}
    channels = sorted({i.channel_id for i in keyed})
    ids = sorted({i.client_msg_id or "" for i in keyed})
    sql = (
        'SELECT id, channel_id, "offset", sender_id, client_msg_id, kind, body, mentions, '
        f"created_at FROM channel_messages WHERE channel_id IN ({_marks(len(channels))}) "
        f"AND client_msg_id IN ({_marks(len(ids))})"
    )
    found = {}
    for raw in db.execute(sql, [*channels, *ids]):
        row = _sqlite_row(raw, heads[raw[1]][1])
        found[(row.channel_id, row.sender_id, row.client_msg_id or "")] = row
    return found


def _sqlite_row(raw: tuple[Any, ...], epoch: str) -> StoredMessage:
    created = datetime.strptime(raw[8], SQLITE_TIME).replace(tzinfo=UTC)
    return StoredMessage(
        raw[0],
        raw[1],
        raw[2],
        epoch,
        raw[3],
        raw[4],
        raw[5],
        json.loads(raw[6]),
        tuple(json.loads(raw[7])),
        created,
    )


def _sqlite_insert(db: sqlite3.Connection, v: dict[str, Any]) -> int:
    cursor = db.execute(
        'INSERT INTO channel_messages (channel_id, "offset", sender_id, client_msg_id, kind, '
        "body, mentions, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            v["channel_id"],
            v["offset"],
            v["sender_id"],
            v["client_msg_id"],
            v["kind"],
            json.dumps(v["body"]),
            json.dumps(v["mentions"]),
            v["created_at"].replace(tzinfo=None).strftime(SQLITE_TIME),
        ),
    )
    return int(cursor.lastrowid or 0)


# ---- PostgreSQL: one dedicated asyncpg connection ------------------------------------------


class PostgresSink:
    def __init__(self, dsn: str) -> None:
        self._writer = PostgresBatchWriter(dsn)

    async def write(self, items: Sequence[Item], known_senders: set[int]) -> Written:
        batch = list(items)
        return await self._writer.run(lambda conn: self._transaction(conn, batch, known_senders))

    async def close(self) -> None:
        await self._writer.close()

    async def _transaction(self, conn: Any, items: list[Item], known: set[int]) -> Written:
        heads = {
            r[0]: (r[1], r[2])
            for r in await conn.fetch(
                "SELECT id, last_offset, epoch FROM channels WHERE id = ANY($1::int[]) "
                "ORDER BY id FOR UPDATE",
                sorted({i.channel_id for i in items}),
            )
        }
        unknown = sorted({i.sender_id for i in items if i.sender_id is not None} - known)
        if unknown:
            rows = await conn.fetch("SELECT id FROM people WHERE id = ANY($1::int[])", unknown)
            known.update(r[0] for r in rows)
        stored = await _pg_stored(conn, items, heads)
        planned = plan(items, heads, known, stored, datetime.now(UTC))
        ids = await _pg_insert(conn, planned[2])
        await conn.executemany(
            "UPDATE channels SET last_offset = $2 WHERE id = $1",
            list(advanced(planned[2], heads).items()),
        )
        return finish(items, planned, ids, heads)


async def _pg_stored(
    conn: Any, items: list[Item], heads: dict[int, tuple[int, str]]
) -> dict[Key, StoredMessage]:
    keyed = [i for i in items if i.client_msg_id is not None and i.channel_id in heads]
    if not keyed:
        return {}
    rows = await conn.fetch(
        'SELECT id, channel_id, "offset", sender_id, client_msg_id, kind, body::text, '
        "mentions::text, created_at FROM channel_messages WHERE channel_id = ANY($1::int[]) "
        "AND client_msg_id = ANY($2::text[])",
        sorted({i.channel_id for i in keyed}),
        sorted({i.client_msg_id or "" for i in keyed}),
    )
    found = {}
    for r in rows:
        row = StoredMessage(
            r[0],
            r[1],
            r[2],
            heads[r[1]][1],
            r[3],
            r[4],
            r[5],
            json.loads(r[6]),
            tuple(json.loads(r[7])),
            r[8],
        )
        found[(row.channel_id, row.sender_id, row.client_msg_id or "")] = row
    return found


async def _pg_insert(conn: Any, fresh: list[tuple[int, dict[str, Any]]]) -> list[int]:
    if not fresh:
        return []
    columns = list(
        zip(
            *[
                (
                    v["channel_id"],
                    v["offset"],
                    v["sender_id"],
                    v["client_msg_id"],
                    v["kind"],
                    json.dumps(v["body"]),
                    json.dumps(v["mentions"]),
                    v["created_at"],
                )
                for _index, v in fresh
            ],
            strict=True,
        )
    )
    rows = await conn.fetch(
        'INSERT INTO channel_messages (channel_id, "offset", sender_id, client_msg_id, kind, '
        "body, mentions, created_at) SELECT a, b, c, d, e, f, g, h FROM unnest($1::int[], "
        "$2::bigint[], $3::int[], $4::text[], $5::text[], $6::text[]::json[], "
        "$7::text[]::json[], $8::timestamptz[]) AS t(a, b, c, d, e, f, g, h) "
        'RETURNING id, channel_id, "offset"',
        *columns,
    )
    by_position = {(r[1], r[2]): r[0] for r in rows}
    return [by_position[(v["channel_id"], v["offset"])] for _index, v in fresh]


def integrity_errors() -> tuple[type[BaseException], ...]:
    """Unique-key clashes of either driver (a resend racing another hub process)."""
    import asyncpg

    return (sqlite3.IntegrityError, asyncpg.exceptions.IntegrityConstraintViolationError)
