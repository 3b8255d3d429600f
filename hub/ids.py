"""Database ids as requests name them: bounded to the range of their column.

Id columns are `Integer`, 32-bit on PostgreSQL, except the `BigInteger` ones of tables that
grow fast (`storage.models.BigId`: audit entries, channel messages, location points, calls,
alarms and their events). A value past its column makes PostgreSQL refuse the query (asyncpg's
DataError: a 500, or an `internal` ack) where SQLite would say "not found". So every id a
request names (a path segment, a query or body field, a socket event's field, a person id
written as text) has one of the types below, and a value outside its column is invalid input,
refused before any query runs, with the same bounds on every database: 422
`request.path_invalid`, `request.query_invalid` or `request.invalid`, on a socket
`request.invalid`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

ID_MAX = 2**31 - 1  # an Integer column on PostgreSQL (INTEGER)
BIG_ID_MAX = 2**63 - 1  # a BigId column (BIGINT)

DbId = Annotated[int, Field(ge=1, le=ID_MAX)]
BigDbId = Annotated[int, Field(ge=1, le=BIG_ID_MAX)]
# A page cursor: the last id of the previous page, 0 before the first.
DbCursor = Annotated[int, Field(ge=0, le=ID_MAX)]


def parse_id(text: str, maximum: int = ID_MAX) -> int | None:
    """The id `text` writes, or None: ASCII digits only (`str.isdigit` also takes "²", which
    `int` refuses), at most 19 of them (`int` of a long text costs quadratic time), 1..maximum."""
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    value = int(text)
    return value if 1 <= value <= maximum else None
