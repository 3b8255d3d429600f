"""Demo data: a party committee per demo town with branches on the demo villages (the ones
with party-building grids on them), members, a meeting, disclosures in each state, and a
published article for the town and a course for the first village (党建宣传)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import GridNode, PluginContext, utcnow
from plugins.party.models import (
    Disclosure,
    DisclosureVersion,
    Meeting,
    Member,
    Organisation,
    PointEntry,
    PromoItem,
    PromoTarget,
)

TOWN = "370783-001"
VILLAGES = ("370783-001-001", "370783-001-002")
NAMES = ("王建国", "李秀英", "张志强", "刘丽娟", "陈海涛", "杨春梅")


async def seed_demo(ctx: PluginContext) -> None:
    async with ctx.sessions() as session:
        if await session.scalar(select(func.count()).select_from(Organisation)):
            return
    index = ctx.grids.index
    town = index.find_code(TOWN)
    villages = [v for v in (index.find_code(c) for c in VILLAGES) if v is not None]
    if town is None or not villages:
        return
    async with ctx.sessions.begin() as session:
        committee = Organisation(name=f"{town.name}党委", kind="committee", grid_id=town.id)
        session.add(committee)
        await session.flush()
        for n, village in enumerate(villages):
            branch_grid = _party_grid(ctx, village) or village
            branch = Organisation(
                name=f"{village.name}党支部",
                kind="branch",
                parent_id=committee.id,
                grid_id=branch_grid.id,
            )
            session.add(branch)
            await session.flush()
            await _members(session, branch.id, village, n)
            session.add(
                Meeting(
                    org_id=branch.id,
                    kind="assembly",
                    title="第四季度党员大会",
                    starts_at=datetime.now(UTC) - timedelta(days=7),
                    code="246810",
                    place=f"{village.name}党群服务中心",
                )
            )
            await _disclosures(session, village.id)
        await _promotion(session, town.id, villages[0].id)


def _party_grid(ctx: PluginContext, village: GridNode) -> GridNode | None:
    overlays = [n for n in ctx.grids.index.children(village.id) if n.kind == "party"]
    return overlays[0] if overlays else None


async def _members(session: AsyncSession, org_id: int, village: GridNode, n: int) -> None:
    for k, name in enumerate(NAMES[n * 3 : n * 3 + 3]):
        member = Member(
            org_id=org_id,
            name=name,
            join_date=date(1995 + 7 * k, 7, 1),
            status="formal" if k < 2 else "probationary",
            grid_id=village.id,
        )
        session.add(member)
        await session.flush()
        session.add(
            PointEntry(
                member_id=member.id,
                source="activity",
                ref=f"activity:{member.id}:seed",
                points=10 - 3 * k,
                reason="主题党日志愿服务",
            )
        )


async def _disclosures(session: AsyncSession, village_id: int) -> None:
    today = date.today()
    month = f"{today.year}-{today.month:02d}"
    quarter = (today.month - 1) // 3  # the last quarter that has ended
    last_q = f"{today.year}-Q{quarter}" if quarter else f"{today.year - 1}-Q4"
    now = utcnow()
    published = Disclosure(grid_id=village_id, category="party", period=last_q, published_version=1)
    draft = Disclosure(grid_id=village_id, category="finance", period=month)
    session.add_all([published, draft])
    await session.flush()
    session.add_all(
        [
            DisclosureVersion(
                disclosure_id=published.id,
                version=1,
                state="published",
                title="党员发展及党费收缴情况",
                published_at=now,
                body="本季度发展预备党员1名，党费按时足额收缴。",
            ),
            DisclosureVersion(
                disclosure_id=draft.id,
                version=1,
                state="submitted",
                title="本月财务收支明细",
                body="收入：土地承包费 12000 元；支出：道路维修 8000 元。",
            ),
        ]
    )


PROMOTION = (
    (
        "article",
        "学习贯彻党的二十大精神",
        "全体党员要深入学习党的二十大报告，结合村（社区）工作实际抓好落实。",
    ),
    (
        "course",
        "党课：村级事务民主决策",
        "一、“四议两公开”工作法\n二、村务监督委员会的职责\n三、案例讨论",
    ),
)


async def _promotion(session: AsyncSession, town_id: int, village_id: int) -> None:
    for (kind, title, body), grid_id in zip(PROMOTION, (town_id, village_id), strict=True):
        item = PromoItem(
            kind=kind, title=title, body=body, state="published", published_at=utcnow()
        )
        session.add(item)
        await session.flush()
        session.add(PromoTarget(item_id=item.id, grid_id=grid_id))
