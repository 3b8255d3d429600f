"""Houses, places (实有单位) and organisations: lists, cards, writes, and the audited reveal of
a place's or organisation's phone. One generic service, configured per kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from hub.sdk import Actor, Conflict, Forbidden, Principal
from plugins.archives import access, cells
from plugins.archives.checks import (
    Problem,
    check_coordinates,
    check_phone,
    normalise_phone,
    raise_first,
)
from plugins.archives.messages import RecordChanged
from plugins.archives.models import Address, House, Organisation, Place
from plugins.archives.schemas import ListQuery
from plugins.archives.shared import Env, apply_patch, in_reach, not_found, require_version

Row = House | Place | Organisation
HIDDEN = frozenset({"phone_sealed", "phone_hash", "phone_masked", "created_at", "updated_at",
                    "cell_x", "cell_y"})  # fmt: skip


@dataclass(frozen=True)
class Kind:
    name: str  # house, place, org
    model: type[Row]
    search: InstrumentedAttribute[str]  # the prefix-searched column
    kind_column: InstrumentedAttribute[str]  # what ListQuery.kind filters
    has_phone: bool

    @property
    def target(self) -> str:
        return f"archives_{self.name}"


HOUSES = Kind("house", House, House.code, House.use, False)
PLACES = Kind("place", Place, Place.name, Place.kind, True)
ORGS = Kind("org", Organisation, Organisation.name, Organisation.kind, True)


class Records:
    def __init__(self, env: Env, kind: Kind) -> None:
        self.env = env
        self.kind = kind

    def out(self, row: Row) -> dict[str, Any]:
        out = {c.name: getattr(row, c.name) for c in row.__table__.columns if c.name not in HIDDEN}
        out["grid_name"] = self.env.grid_name(row.grid_id)
        out["updated_at"] = row.updated_at.timestamp()
        if isinstance(row, Place | Organisation):
            out["phone"] = row.phone_masked
            out["masked"] = True
        return out

    def _filtered(self, who: Principal, query: ListQuery) -> Select[Any]:
        model, index = self.kind.model, self.env.index
        stmt = select(model).where(in_reach(who, index, model.grid_id, access.READ_ROLES))
        if query.q:
            stmt = stmt.where(self.env.prefix(self.kind.search, query.q))
        if query.grid_id is not None:
            stmt = stmt.where(model.grid_id.in_(sorted(index.scope_ids([query.grid_id]))))
        if query.kind:
            stmt = stmt.where(self.kind.kind_column == query.kind)
        return stmt

    async def search(self, who: Principal, query: ListQuery) -> dict[str, Any]:
        stmt = self._filtered(who, query).order_by(self.kind.search, self.kind.model.id)
        stmt = stmt.offset(query.offset).limit(query.limit + 1)
        async with self.env.ctx.sessions() as session:
            rows = list(await session.scalars(stmt))
        items = [self.out(row) for row in rows[: query.limit]]
        return {"items": items, "offset": query.offset, "has_more": len(rows) > query.limit}

    async def load(
        self, session: AsyncSession, who: Principal, row_id: int, roles: frozenset[str]
    ) -> Row:
        row: Row | None = await session.get(self.kind.model, row_id)
        if row is None:
            raise not_found(self.kind.name, row_id)
        access.require(who, self.env.index, row.grid_id, roles)
        return row

    async def card(self, who: Principal, row_id: int) -> dict[str, Any]:
        async with self.env.ctx.sessions() as session:
            return self.out(await self.load(session, who, row_id, access.READ_ROLES))

    async def create(self, who: Principal, body: BaseModel) -> dict[str, Any]:
        fields = body.model_dump()
        self.env.require_grid(fields["grid_id"])
        access.require(who, self.env.index, fields["grid_id"], access.WRITE_ROLES)
        values = self._values(fields)
        async with self.env.ctx.sessions.begin() as session:
            await self._check_address(session, who, fields.get("address_id"))
            row = self.kind.model(**values)
            _locate(row)
            session.add(row)
            await self._flush(session)
            if isinstance(row, House):
                await cells.add(session, [_point(row)])
            self._audit(session, who, row, "create", {"grid_id": row.grid_id})
            out = self.out(row)
        await self._publish(row, "created")
        return out

    async def update(self, who: Principal, row_id: int, patch: BaseModel) -> dict[str, Any]:
        fields = patch.model_dump(exclude_unset=True, exclude={"version"})
        async with self.env.ctx.sessions.begin() as session:
            row = await self.load(session, who, row_id, access.WRITE_ROLES)
            require_version(self.kind.name, row.version, getattr(patch, "version", None))
            if fields.get("grid_id") is not None:
                self.env.require_grid(fields["grid_id"])
                access.require(who, self.env.index, fields["grid_id"], access.WRITE_ROLES)
            await self._check_address(session, who, fields.get("address_id"))
            before = _point(row)
            changed = apply_patch(row, self._values(fields, row))
            _locate(row)
            await self._flush(session)
            if isinstance(row, House):
                await cells.move(session, before, _point(row))
            if changed:
                self._audit(session, who, row, "update", {"changed": sorted(changed)})
            out = self.out(row)
        if changed:
            await self._publish(row, "updated")
        return out

    def _values(self, fields: dict[str, Any], row: Row | None = None) -> dict[str, Any]:
        """Column values from the request's fields: the phone sealed, coordinates in pairs."""
        values = {k: v for k, v in fields.items() if k != "phone"}
        lng = fields.get("lng", row.lng if row else None)
        lat = fields.get("lat", row.lat if row else None)
        raise_first(check_coordinates(lng, lat))
        if self.kind.has_phone and "phone" in fields:
            phone = normalise_phone(fields["phone"] or "")
            raise_first(check_phone(phone))
            sealed = self.env.seal_phone(phone)
            if row is None or sealed.hash != getattr(row, "phone_hash", None):
                values.update(phone_sealed=sealed.sealed, phone_masked=sealed.masked)
                if self.kind.model is not Organisation:
                    values["phone_hash"] = sealed.hash
        if row is not None:  # a patch sets what it names; None clears only optional columns
            values = {k: v for k, v in values.items() if v is not None or _nullable(row, k)}
        return values

    async def _check_address(self, session: AsyncSession, who: Principal,
                             address_id: int | None) -> None:  # fmt: skip
        if address_id is None:
            return
        address = await session.get(Address, address_id)
        if address is None or not access.may(who, self.env.index, address.grid_id,
                                             access.WRITE_ROLES):  # fmt: skip
            raise_first([Problem("address_id", "archives.address_unknown",
                                  f"no address {address_id} in your grids")])  # fmt: skip

    async def _flush(self, session: AsyncSession) -> None:
        try:
            await session.flush()
        except IntegrityError as exc:
            raise Conflict(f"archives.{self.kind.name}_duplicate",
                           f"this {self.kind.name} is already in the archive (same code)",
                           details={"field": "code"}) from exc  # fmt: skip

    def _audit(self, session: AsyncSession, who: Principal, row: Row, verb: str,
               details: dict[str, Any]) -> None:  # fmt: skip
        action = f"archives.{self.kind.name}.{verb}"
        self.env.ctx.audit.record(session, Actor.of(who), action, self.kind.target, row.id,
                                  details)  # fmt: skip

    async def _publish(self, row: Row, action: str) -> None:
        message = RecordChanged(kind=self.kind.name, record_id=row.id, grid_id=row.grid_id,
                                action=action)  # fmt: skip
        await self.env.ctx.bus.publish(message)

    async def reveal(self, who: Principal, row_id: int) -> dict[str, Any]:
        """The contact phone in full for the reveal roles, audited in the read's transaction."""
        async with self.env.ctx.sessions.begin() as session:
            row = await self.load(session, who, row_id, access.READ_ROLES)
            if not isinstance(row, Place | Organisation):
                raise not_found(self.kind.name, row_id)
            if not access.may(who, self.env.index, row.grid_id, access.REVEAL_ROLES):
                raise Forbidden("archives.reveal_forbidden",
                                "your role sees this record masked only")  # fmt: skip
            phone = self.env.ctx.personal.open(row.phone_sealed)
            self._audit(session, who, row, "reveal", {"name": row.name, "fields": ["phone"]})
        return {"id": row_id, "name": row.name, "phone": phone, "masked": False}


def _nullable(row: Row, column: str) -> bool:
    found = row.__table__.columns.get(column)
    return bool(found is not None and found.nullable)


def _locate(row: Row) -> None:
    """A house's map cell follows its position (same flush as the position)."""
    if isinstance(row, House):
        row.cell_x, row.cell_y = cells.house_cell(row.lng, row.lat)


def _point(row: Row) -> cells.Point:
    return row.grid_id, row.lng, row.lat
