"""Demo data: the same points rules and a small points shop in every demo village, and a few
credits and an exchange for the demo residents (r01 in 东庄村 among them)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import GridNode, PluginContext, utcnow
from plugins.participation.access import RESIDENTS
from plugins.participation.models import Activity, LedgerEntry, PointAccount, PointRule, ShopItem
from plugins.participation.points import village_of

RULES = [
    ("volunteer_hour", "志愿服务每小时", 10),
    ("deliberation", "参加村民议事会", 5),
    ("conduct", "好人好事", 20),
    ("conduct", "环境卫生示范户", 15),
]
ITEMS = [("洗衣粉", 30, 40), ("食用油 5L", 120, 10), ("大米 10kg", 150, 8), ("毛巾", 20, 60)]
# (rule index, quantity) credited to each demo resident.
CREDITS = [(0, 6), (1, 2), (2, 1)]


async def seed_demo(ctx: PluginContext) -> None:
    async with ctx.sessions() as session:
        if await session.scalar(select(func.count()).select_from(PointRule)):
            return
    villages = [n for n in ctx.grids.index if n.level == "village"]
    async with ctx.sessions.begin() as session:
        rules = [_rule(v, *spec) for v in villages for spec in RULES]
        session.add_all(rules)
        session.add_all(_item(v, *spec) for v in villages for spec in ITEMS)
        await session.flush()
        by_village = {(r.grid_id, RULES.index((r.kind, r.title, r.points))): r for r in rules}
        for person_id, village in await _residents(ctx):
            _credit(session, person_id, village, by_village)
        session.add_all(_activity(v, by_village[(v.id, 0)]) for v in villages if v.centre)


def _activity(village: GridNode, rule: PointRule) -> Activity:
    """An activity the day after tomorrow at 09:00 (Beijing time) at the village's centre."""
    assert village.centre is not None
    day = (utcnow() + timedelta(days=2)).replace(hour=1, minute=0, second=0, microsecond=0)
    return Activity(grid_id=village.id, title="清理河道垃圾", category="environment",
                    place=f"{village.name}村委会门口", lon=village.centre[0], lat=village.centre[1],
                    radius_m=300, starts_at=day, ends_at=day + timedelta(hours=3), hours=3,
                    capacity=20, taken=0, check_code=secrets.token_hex(3), rule_id=rule.id,
                    state="open", created_at=utcnow())  # fmt: skip


def _rule(village: GridNode, kind: str, title: str, points: int) -> PointRule:
    return PointRule(grid_id=village.id, kind=kind, title=title, points=points, active=True,
                     created_at=utcnow())  # fmt: skip


def _item(village: GridNode, name: str, cost: int, stock: int) -> ShopItem:
    return ShopItem(grid_id=village.id, name=name, cost=cost, stock=stock, active=True,
                    created_at=utcnow())  # fmt: skip


async def _residents(ctx: PluginContext) -> list[tuple[int, int]]:
    index = ctx.grids.index
    found: set[tuple[int, int]] = set()
    for person in await ctx.directory.holding_roles_in([n.id for n in index]):
        for role in person.roles:
            village = village_of(index, role["grid_id"]) if role.get("grid_id") else None
            if role["role"] in RESIDENTS and village is not None:
                found.add((person.id, village))
    return sorted(found)


def _credit(
    session: AsyncSession, person_id: int, village: int, rules: dict[tuple[int, int], PointRule]
) -> None:
    total = 0
    for number, quantity in CREDITS:
        rule = rules[(village, number)]
        total += rule.points * quantity
        session.add(LedgerEntry(
            key=f"seed:{secrets.token_urlsafe(9)}", person_id=person_id, grid_id=village,
            delta=rule.points * quantity, kind=rule.kind, rule_id=rule.id, note="",
            by_id=None, created_at=utcnow()))  # fmt: skip
    session.add(PointAccount(person_id=person_id, grid_id=village, balance=total,
                             earned=total, spent=0))  # fmt: skip
