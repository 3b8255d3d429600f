"""Bulk writes of the import: COPY on PostgreSQL, batched INSERTs elsewhere.

PostgreSQL's INSERT ... VALUES pays per bound parameter (a resident has 22 columns) and per
RETURNING row; COPY (asyncpg's `copy_records_to_table`, on the session's own connection, so
inside the import's one transaction: a failure writes nothing) streams the rows in binary.
Ids come from the table's sequence first (`nextval` over a series), so the caller knows every
row's id without RETURNING, in file order.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, insert, text
from sqlalchemy.ext.asyncio import AsyncSession

BATCH = 2000  # rows per executemany elsewhere (SQLAlchemy splits them by bound parameters)


async def insert_rows(session: AsyncSession, table: Table, rows: list[dict[str, Any]],
                      *, want_ids: bool = False) -> list[int]:  # fmt: skip
    """Insert `rows` (dicts of the same keys) into `table`; answer their ids in order when
    `want_ids` (else an empty list)."""
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return await _copy(session, table, rows, want_ids)
    if not want_ids:
        for start in range(0, len(rows), BATCH):
            await session.execute(insert(table), rows[start : start + BATCH])
        return []
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        ids += list((await session.scalars(stmt, rows[start : start + BATCH])).all())
    return ids


async def _copy(session: AsyncSession, table: Table, rows: list[dict[str, Any]],
                want_ids: bool) -> list[int]:  # fmt: skip
    ids: list[int] = []
    if want_ids:  # else the column default draws them
        sequence = f"{table.name}_id_seq"
        found = await session.execute(
            text("SELECT nextval(:seq) FROM generate_series(1, :n)"),
            {"seq": sequence, "n": len(rows)},
        )
        ids = [int(i) for (i,) in found]
        rows = [{**row, "id": row_id} for row, row_id in zip(rows, ids, strict=True)]
    columns = list(rows[0])
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection  # asyncpg's Connection, in the session's transaction
    records = [tuple(row[c] for c in columns) for row in rows]
    await driver.copy_records_to_table(table.name, records=records, columns=columns)
    return ids if want_ids else []
