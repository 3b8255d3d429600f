"""积分制、积分超市: points by the village's rules, a ledger, and a shop with stock.

Every credit and every exchange is one transaction that writes a ledger row with a unique
key and moves the balance by a guarded UPDATE (see models.py): concurrent exchanges, on one
node or several, can neither overspend a balance nor take stock below zero, and a retried
request with the same key changes nothing the second time.
"""

from __future__ import annotations

import secrets
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import (
    SYSTEM,
    Actor,
    Conflict,
    DbId,
    Forbidden,
    GridIndex,
    NotFound,
    PluginContext,
    Principal,
    require_scope,
    utcnow,
)
from plugins.participation.access import EXCHANGE, ITEM, OFFICERS, RESIDENTS
from plugins.participation.models import Exchange, LedgerEntry, PointAccount, PointRule, ShopItem

Kind = Literal["volunteer_hour", "deliberation", "conduct", "need"]
KEY = r"^[A-Za-z0-9_-]{8,64}$"


class PointRuleIn(BaseModel):
    grid_id: DbId
    kind: Kind
    title: str = Field(min_length=1, max_length=80)
    points: int = Field(ge=1, le=1000)
    active: bool = True


class AwardIn(BaseModel):
    person_id: DbId
    rule_id: DbId
    quantity: int = Field(default=1, ge=1, le=100)  # hours, meetings or deeds
    note: str = Field(default="", max_length=200)
    key: str | None = Field(default=None, pattern=KEY)  # the caller's idempotency key


class ShopItemIn(BaseModel):
    grid_id: DbId
    name: str = Field(min_length=1, max_length=80)
    cost: int = Field(ge=1, le=100_000)
    stock: int = Field(ge=0, le=100_000)
    active: bool = True


class ExchangeIn(BaseModel):
    item_id: DbId
    key: str | None = Field(default=None, pattern=KEY)  # a retry with it spends nothing


class VillageQuery(BaseModel):
    grid_id: DbId | None = None


def village_of(index: GridIndex, grid_id: int) -> int | None:
    """The village a grid lies in (itself if it is one)."""
    village = index.enclosing(grid_id, "village")
    return village.id if village else None


def resident_villages(who: Principal, index: GridIndex) -> set[int]:
    found = {village_of(index, g) for g in who.grid_ids(RESIDENTS)}
    return {v for v in found if v is not None}


def rule_view(rule: PointRule) -> dict[str, Any]:
    return {"id": rule.id, "grid_id": rule.grid_id, "kind": rule.kind, "title": rule.title,
            "points": rule.points, "active": rule.active}  # fmt: skip


def item_view(item: ShopItem) -> dict[str, Any]:
    return {"id": item.id, "grid_id": item.grid_id, "name": item.name, "cost": item.cost,
            "stock": item.stock, "active": item.active}  # fmt: skip


def exchange_view(ex: Exchange) -> dict[str, Any]:
    return {
        "id": ex.id, "item_id": ex.item_id, "grid_id": ex.grid_id, "person_id": ex.person_id,
        "item_name": ex.item_name, "cost": ex.cost, "code": ex.code, "state": ex.state,
        "created_at": ex.created_at.isoformat(),
        "handed_at": ex.handed_at.isoformat() if ex.handed_at else None,
    }  # fmt: skip


class Points:
    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx

    @property
    def index(self) -> GridIndex:
        return self.ctx.grids.index

    def check_village(self, who: Principal, grid_id: int) -> None:
        if village_of(self.index, grid_id) != grid_id:
            raise NotFound("participation.village_not_found", f"no village {grid_id}")
        require_scope(who, self.index, grid_id, OFFICERS)

    def readable_villages(self, who: Principal) -> set[int] | None:
        """Villages whose rules and shop the caller may read (None: all, for admins)."""
        if who.is_admin:
            return None
        officer = {g for g in self.index.scope_ids(who.grid_ids(OFFICERS))
                   if village_of(self.index, g) == g}  # fmt: skip
        return officer | resident_villages(who, self.index)

    # --- rules ----------------------------------------------------------------------------

    async def rules(self, who: Principal, grid_id: int | None) -> list[dict[str, Any]]:
        stmt = select(PointRule).order_by(PointRule.grid_id, PointRule.id)
        return [rule_view(r) for r in await self.visible_rows(who, stmt, PointRule, grid_id)]

    async def visible_rows(self, who: Principal, stmt: Any, model: Any, grid_id: int | None) -> Any:
        """Rows of `stmt` (of a table with a village `grid_id`) in the caller's villages."""
        villages = self.readable_villages(who)
        if grid_id is not None:
            stmt = stmt.where(model.grid_id == grid_id)
        if villages is not None:
            stmt = stmt.where(model.grid_id.in_(villages))
        async with self.ctx.sessions() as session:
            return list(await session.scalars(stmt))

    async def save_rule(
        self, who: Principal, body: PointRuleIn, rule_id: int | None
    ) -> dict[str, Any]:
        self.check_village(who, body.grid_id)
        try:
            async with self.ctx.sessions.begin() as session:
                rule = PointRule() if rule_id is None else await _rule(session, rule_id)
                if rule_id is not None:
                    self.check_village(who, rule.grid_id)
                for name, value in body.model_dump().items():
                    setattr(rule, name, value)
                session.add(rule)
                await session.flush()
                self.ctx.audit.record(session, Actor.of(who), "participation.rule.saved",
                                      "participation_rule", rule.id, body.model_dump())  # fmt: skip
                return rule_view(rule)
        except IntegrityError:
            raise Conflict("participation.rule_exists", "the village has a rule of that title"
                           " and kind") from None  # fmt: skip

    # --- credits --------------------------------------------------------------------------

    async def award(self, who: Principal, body: AwardIn) -> dict[str, Any]:
        """Credit a resident by one of their village's rules (an officer's award)."""
        async with self.ctx.sessions() as session:
            rule = await _rule(session, body.rule_id)
        self.check_village(who, rule.grid_id)
        if not rule.active:
            raise Conflict("participation.rule_inactive", f"rule {rule.id} is not in use")
        await self._require_resident(body.person_id, rule.grid_id)
        key = f"award:{body.key}" if body.key else f"award:{secrets.token_urlsafe(12)}"
        return await self.credit(Actor.of(who), body.person_id, rule, body.quantity, key,
                                 body.note, who.person_id)  # fmt: skip

    async def _require_resident(self, person_id: int, village: int) -> None:
        grants = await self.ctx.directory.grants_of(person_id)
        if not any(g.role in RESIDENTS and g.grid_id is not None
                   and village_of(self.index, g.grid_id) == village for g in grants):  # fmt: skip
            raise NotFound("participation.resident_not_found",
                           f"person {person_id} is no resident of village {village}")  # fmt: skip

    async def credit(
        self, actor: Actor, person_id: int, rule: PointRule, quantity: int, key: str,
        note: str = "", by_id: int | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Credit `rule.points * quantity` once per `key` (a repeat answers duplicate)."""
        await self._open_account(person_id, rule.grid_id)
        delta = rule.points * quantity
        try:
            async with self.ctx.sessions.begin() as session:
                await session.execute(insert(LedgerEntry).values(
                    key=key, person_id=person_id, grid_id=rule.grid_id, delta=delta,
                    kind=rule.kind, rule_id=rule.id, note=note, by_id=by_id, created_at=utcnow(),
                ))  # fmt: skip
                balance = await session.scalar(_move(person_id, rule.grid_id, delta))
                facts = {"delta": delta, "key": key}
                self.ctx.audit.record(session, actor, "participation.points.credited", "person",
                                      person_id, facts)  # fmt: skip
        except IntegrityError:
            return {
                "duplicate": True,
                "delta": 0,
                "balance": await self.balance(person_id, rule.grid_id),
            }
        return {"duplicate": False, "delta": delta, "balance": balance}

    async def credit_in(
        self, session: AsyncSession, person_id: int, rule: PointRule, quantity: int, key: str,
        note: str = "",
    ) -> int | None:  # fmt: skip
        """Credit inside the caller's transaction, so the deed (hours recorded, a need done) and
        its points commit together or not at all: no crash can fall between them. Once per
        `key`: None when the key was credited already (by a retry, a redelivered message or a
        concurrent completion), else the points credited. Insert-or-nothing statements, so a
        repeat never aborts the caller's transaction."""
        upsert = _upsert(session)
        await session.execute(upsert(PointAccount).values(
            person_id=person_id, grid_id=rule.grid_id, balance=0, earned=0, spent=0,
        ).on_conflict_do_nothing())  # fmt: skip
        delta = rule.points * quantity
        added = await session.scalar(upsert(LedgerEntry).values(
            key=key, person_id=person_id, grid_id=rule.grid_id, delta=delta, kind=rule.kind,
            rule_id=rule.id, note=note, by_id=None, created_at=utcnow(),
        ).on_conflict_do_nothing(index_elements=["key"]).returning(LedgerEntry.id))  # fmt: skip
        if added is None:
            return None
        await session.execute(_move(person_id, rule.grid_id, delta))
        self.ctx.audit.record(session, SYSTEM, "participation.points.credited", "person",
                              person_id, {"delta": delta, "key": key})  # fmt: skip
        return delta

    async def _open_account(self, person_id: int, grid_id: int) -> None:
        """The account row exists (a concurrent first credit may have opened it)."""
        try:
            # Insert without reading first: on SQLite a read that turns into a write may be
            # refused as busy under concurrent writers.
            async with self.ctx.sessions.begin() as session:
                await session.execute(
                    insert(PointAccount).values(
                        person_id=person_id, grid_id=grid_id, balance=0, earned=0, spent=0
                    )
                )
        except IntegrityError:
            pass

    async def balance(self, person_id: int, grid_id: int) -> int:
        async with self.ctx.sessions() as session:
            account = await session.get(PointAccount, (person_id, grid_id))
        return account.balance if account else 0

    # --- reading --------------------------------------------------------------------------

    async def mine(self, who: Principal) -> dict[str, Any]:
        villages = sorted(resident_villages(who, self.index))
        async with self.ctx.sessions() as session:
            accounts = {a.grid_id: a for a in await session.scalars(select(PointAccount).where(
                PointAccount.person_id == who.person_id))}  # fmt: skip
            ledger = await session.scalars(
                select(LedgerEntry).where(LedgerEntry.person_id == who.person_id)
                .order_by(LedgerEntry.id.desc()).limit(100))  # fmt: skip
            entries = [_entry_view(e) for e in ledger]
            exchanges = await session.scalars(
                select(Exchange)
                .where(Exchange.person_id == who.person_id)
                .order_by(Exchange.id.desc())
                .limit(100)
            )
            mine = [exchange_view(x) for x in exchanges]
        return {"accounts": [_account_view(accounts.get(v), who.person_id, v) for v in villages],
                "ledger": entries, "exchanges": mine}  # fmt: skip

    async def accounts(self, who: Principal, grid_id: int | None) -> list[dict[str, Any]]:
        stmt = select(PointAccount).order_by(PointAccount.balance.desc()).limit(500)
        rows = await self.visible_rows(who, stmt, PointAccount, grid_id)
        return [_account_view(a, a.person_id, a.grid_id) for a in rows]

    # --- the shop -------------------------------------------------------------------------

    async def items(self, who: Principal, grid_id: int | None) -> list[dict[str, Any]]:
        stmt = select(ShopItem).order_by(ShopItem.grid_id, ShopItem.cost)
        return [item_view(i) for i in await self.visible_rows(who, stmt, ShopItem, grid_id)]

    async def save_item(
        self, who: Principal, body: ShopItemIn, item_id: int | None
    ) -> dict[str, Any]:
        self.check_village(who, body.grid_id)
        async with self.ctx.sessions.begin() as session:
            item = ShopItem() if item_id is None else await _item(session, item_id)
            if item_id is not None:
                self.check_village(who, item.grid_id)
            for name, value in body.model_dump().items():
                setattr(item, name, value)
            session.add(item)
            await session.flush()
            self.ctx.audit.record(session, Actor.of(who), "participation.item.saved", ITEM,
                                  item.id, body.model_dump())  # fmt: skip
            return item_view(item)

    async def exchange(self, who: Principal, body: ExchangeIn) -> dict[str, Any]:
        """Spend points on one of the item: both or neither (409 when either runs short)."""
        async with self.ctx.sessions() as session:
            item = await _item(session, body.item_id)
        if item.grid_id not in resident_villages(who, self.index):
            raise Forbidden("scope.forbidden", "the item is in another village's shop")
        key = f"exchange:{who.person_id}:{body.key or secrets.token_urlsafe(12)}"
        try:
            return await self._exchange(who, item.id, key)
        except IntegrityError:  # the same request key again: its first answer
            return await self._replayed(key)

    async def _exchange(self, who: Principal, item_id: int, key: str) -> dict[str, Any]:
        async with self.ctx.sessions.begin() as session:
            # Written first: on SQLite the transaction takes the write lock before any read.
            taken = (await session.execute(
                update(ShopItem).where(ShopItem.id == item_id, ShopItem.active.is_(True),
                                       ShopItem.stock > 0)
                .values(stock=ShopItem.stock - 1)
                .returning(ShopItem.cost, ShopItem.grid_id, ShopItem.name))).first()  # fmt: skip
            if taken is None:
                raise Conflict("participation.out_of_stock", f"item {item_id} is out of stock")
            cost, grid_id, name = taken
            balance = await session.scalar(_move(who.person_id, grid_id, -cost))
            if balance is None:
                raise Conflict("participation.points_insufficient",
                               f"this needs {cost} points", details={"cost": cost})  # fmt: skip
            ex = Exchange(item_id=item_id, grid_id=grid_id, person_id=who.person_id,
                          item_name=name, cost=cost, code=secrets.token_urlsafe(9))  # fmt: skip
            session.add(ex)
            await session.flush()
            await session.execute(insert(LedgerEntry).values(
                key=key, person_id=who.person_id, grid_id=grid_id, delta=-cost, kind="exchange",
                rule_id=None, note=f"exchange:{ex.id}", by_id=who.person_id, created_at=utcnow(),
            ))  # fmt: skip
            self.ctx.audit.record(session, Actor.of(who), "participation.exchange.placed",
                                  EXCHANGE, ex.id, {"item_id": item_id, "cost": cost})  # fmt: skip
            return {**exchange_view(ex), "balance": balance, "duplicate": False}

    async def _replayed(self, key: str) -> dict[str, Any]:
        async with self.ctx.sessions() as session:
            entry = await session.scalar(select(LedgerEntry).where(LedgerEntry.key == key))
            ex_id = int(entry.note.split(":")[1]) if entry else 0
            ex = await session.get(Exchange, ex_id)
        if ex is None:  # a key is unique per person: its entry names its exchange
            raise Conflict("participation.key_reused", "that request key was used before")
        balance = await self.balance(ex.person_id, ex.grid_id)
        return {**exchange_view(ex), "balance": balance, "duplicate": True}

    async def exchanges(self, who: Principal, grid_id: int | None) -> list[dict[str, Any]]:
        stmt = select(Exchange).order_by(Exchange.id.desc()).limit(500)
        return [exchange_view(x) for x in await self.visible_rows(who, stmt, Exchange, grid_id)]

    async def hand_over(self, who: Principal, exchange_id: int) -> dict[str, Any]:
        async with self.ctx.sessions.begin() as session:
            ex = await session.get(Exchange, exchange_id)
            if ex is None:
                raise NotFound("participation.exchange_not_found", f"no exchange {exchange_id}")
            self.check_village(who, ex.grid_id)
            if ex.state != "placed":
                raise Conflict("participation.already_handed_over", "the goods were handed over")
            ex.state, ex.handed_at = "handed_over", utcnow()
            self.ctx.audit.record(session, Actor.of(who), "participation.exchange.handed_over",
                                  EXCHANGE, ex.id, {})  # fmt: skip
            return exchange_view(ex)


def _upsert(session: AsyncSession) -> Any:
    """The dialect's INSERT, which has ON CONFLICT DO NOTHING (SQLite and PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    return pg_insert if dialect == "postgresql" else sqlite_insert


def _move(person_id: int, grid_id: int, delta: int) -> Any:
    """The balance moved by `delta`, only if it stays >= 0 (returns the new balance)."""
    stmt = update(PointAccount).where(PointAccount.person_id == person_id,
                                      PointAccount.grid_id == grid_id)  # fmt: skip
    if delta < 0:
        stmt = stmt.where(PointAccount.balance >= -delta)
        stmt = stmt.values(balance=PointAccount.balance + delta,
                           spent=PointAccount.spent - delta)  # fmt: skip
    else:
        stmt = stmt.values(balance=PointAccount.balance + delta,
                           earned=PointAccount.earned + delta)  # fmt: skip
    return stmt.returning(PointAccount.balance)


async def _rule(session: AsyncSession, rule_id: int) -> PointRule:
    rule = await session.get(PointRule, rule_id)
    if rule is None:
        raise NotFound("participation.rule_not_found", f"no rule {rule_id}")
    return rule


async def _item(session: AsyncSession, item_id: int) -> ShopItem:
    item = await session.get(ShopItem, item_id)
    if item is None:
        raise NotFound("participation.item_not_found", f"no item {item_id}")
    return item


def _account_view(account: PointAccount | None, person_id: int, grid_id: int) -> dict[str, Any]:
    return {"person_id": person_id, "grid_id": grid_id,
            "balance": account.balance if account else 0,
            "earned": account.earned if account else 0,
            "spent": account.spent if account else 0}  # fmt: skip


def _entry_view(entry: LedgerEntry) -> dict[str, Any]:
    return {"id": entry.id, "grid_id": entry.grid_id, "delta": entry.delta, "kind": entry.kind,
            "note": entry.note, "created_at": entry.created_at.isoformat()}  # fmt: skip
