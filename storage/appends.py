"""Rows a write transaction only appends (audit entries, timeline lines), written together just
before its commit: one multi-row INSERT per statement instead of a round trip per row.

A transaction that runs several callers' bodies one after another (group commit) installs
`Appends` on its session; `append_row` then queues a row instead of executing it, and the
transaction writes the queue just before COMMIT. Without `Appends` on the session, `append_row`
executes at once, so code that appends rows works the same in any transaction.

A queued row is not in the database yet: code that reads such rows in the same transaction
asks first with `settle_rows` (the rows of its key are written then, with everything queued before
them). A body that fails is undone with `mark` / `undo`: its rows leave the queue, and rows of
earlier bodies written while it ran (rolled back with its savepoint) are queued again.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

KEY = "storage.appends"

Mark = tuple[int, int]


class Appends:
    """The rows queued in one session's transaction, in the order they were appended."""

    def __init__(self) -> None:
        self._rows: list[tuple[Executable, dict[str, Any], Hashable]] = []
        self._written = 0  # rows[:written] are in the transaction already (settled)

    @classmethod
    def install(cls, session: Session) -> Appends:
        appends = cls()
        session.info[KEY] = appends
        return appends

    @staticmethod
    def of(session: Session) -> Appends | None:
        found = session.info.get(KEY)
        return found if isinstance(found, Appends) else None

    def add(self, statement: Executable, row: dict[str, Any], key: Hashable = None) -> None:
        self._rows.append((statement, row, key))

    def mark(self) -> Mark:
        return len(self._rows), self._written

    def undo(self, mark: Mark) -> None:
        """Forget what was appended since `mark`; what was written since is rolled back."""
        del self._rows[mark[0] :]
        self._written = min(self._written, mark[1])

    def clear(self) -> None:
        """The transaction was rolled back: nothing queued or written is left."""
        self._rows, self._written = [], 0

    def pending(self, key: Hashable) -> bool:
        return any(k == key for _s, _r, k in self._rows[self._written :])

    def write(self, session: Session) -> None:
        """Execute what is queued: per statement, all its rows at once (in append order)."""
        grouped: dict[int, tuple[Executable, list[dict[str, Any]]]] = {}
        for statement, row, _key in self._rows[self._written :]:
            grouped.setdefault(id(statement), (statement, []))[1].append(row)
        self._written = len(self._rows)
        for statement, rows in grouped.values():
            session.execute(statement, rows[0] if len(rows) == 1 else rows)


def append_row(
    session: Session, statement: Executable, row: dict[str, Any], key: Hashable = None
) -> None:
    """Insert `row` with `statement` in `session`'s transaction: queued until just before the
    commit if the transaction collects appends, at once otherwise. `key`: what `settle_rows` asks by
    (a row nobody reads in the transaction needs none)."""
    appends = Appends.of(session)
    if appends is None:
        session.execute(statement, row)
    else:
        appends.add(statement, row, key)


def settle_rows(session: Session, key: Hashable) -> None:
    """Make the rows queued under `key` visible to the transaction (write the queue now)."""
    appends = Appends.of(session)
    if appends is not None and appends.pending(key):
        appends.write(session)
