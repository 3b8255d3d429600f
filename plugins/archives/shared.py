"""What the archive's services share: the context, the hasher, scope filters, sealing helpers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, and_, bindparam, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from hub.sdk import Conflict, GridIndex, InvalidInput, NotFound, PluginContext, Principal, utcnow
from plugins.archives import access
from plugins.archives.checks import mask_phone, normalise_phone
from plugins.archives.keys import Hasher
from plugins.archives.models import Tag


@dataclass(frozen=True, slots=True)
class Sealed:
    """A personal value at rest: sealed, its look-up hash (None when empty), its mask."""

    sealed: str
    hash: str | None
    masked: str


@dataclass
class Env:
    ctx: PluginContext
    hasher: Hasher

    @property
    def index(self) -> GridIndex:
        return self.ctx.grids.index

    def seal_phone(self, phone: str) -> Sealed:
        phone = normalise_phone(phone)
        if not phone:
            return Sealed("", None, "")
        return Sealed(self.ctx.personal.seal(phone), self.hasher.phone(phone), mask_phone(phone))

    @property
    def sqlite(self) -> bool:
        return bool(self.ctx.sessions.kw["bind"].dialect.name == "sqlite")

    def prefix(self, column: InstrumentedAttribute[str], text: str) -> ColumnElement[bool]:
        """`column` starts with `text` (its % and _ are no wildcards). SQLite compares bytes, so
        a range uses the column's index there; LIKE elsewhere, whatever the collation."""
        if self.sqlite:
            return and_(column >= text, column < text + "\U0010ffff")
        # the pattern is rendered into the statement (quoted by the driver's literal rendering):
        # a bound `$1 || '%'` leaves PostgreSQL's cached generic plan blind to the prefix, so it
        # cannot use the name's pattern index (a0003)
        escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
        pattern = bindparam(None, escaped + "%", type_=String, literal_execute=True)
        return column.like(pattern, escape="/")

    def grid_name(self, grid_id: int) -> str | None:
        index = self.index
        return index.get(grid_id).name if grid_id in index else None

    def require_grid(self, grid_id: int) -> None:
        if grid_id not in self.index:
            details = {"field": "grid_id"}
            raise InvalidInput("archives.grid_unknown", f"no grid {grid_id}", details=details)


def in_reach(
    who: Principal,
    index: GridIndex,
    column: InstrumentedAttribute[int] | ColumnElement[int],
    roles: Iterable[str],
) -> ColumnElement[bool]:
    """A WHERE clause keeping the rows of `who`'s grids (everything for an admin)."""
    reach = access.scope_ids(who, index, roles)
    return true() if reach is None else column.in_(sorted(reach))


async def tag_catalogue(session: AsyncSession) -> dict[str, Tag]:
    rows = await session.scalars(select(Tag).order_by(Tag.care_level.desc(), Tag.code))
    return {tag.code: tag for tag in rows}


def require_version(kind: str, current: int, given: int | None) -> None:
    if given is not None and given != current:
        raise Conflict(
            "archives.version_conflict",
            f"the {kind} changed since you read it (version {current}, you sent {given})",
        )


def not_found(kind: str, row_id: int) -> NotFound:
    return NotFound(f"archives.{kind}_not_found", f"no {kind} {row_id}")


def apply_patch(row: Any, changes: dict[str, Any]) -> dict[str, Any]:
    """Set the changed fields on `row`; answer what changed (old, new) for the audit."""
    changed: dict[str, Any] = {}
    for name, value in changes.items():
        old = getattr(row, name)
        if old != value:
            changed[name] = [_plain(old), _plain(value)]
            setattr(row, name, value)
    if changed:
        row.version += 1
        row.updated_at = utcnow()
    return changed


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, int | float | str) else str(value)
