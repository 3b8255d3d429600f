"""Demo data: a venue in every demo village, the service catalogue, elderly-care offers, people
living alone under check-in visits, and a few bookings waiting for approval in 东庄村."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from hub.sdk import GridNode, PluginContext
from plugins.services.care import DAY_S, KIND
from plugins.services.common import new_code
from plugins.services.models import Booking, CareOffer, CheckIn, ServiceItem, SlotHold, Venue

FIRST_VILLAGE = "370783-001-001"
ITEMS = [
    (
        "pension_cert",
        "养老保险待遇资格认证",
        "Pension eligibility check",
        "人社所",
        ["身份证", "社保卡"],
    ),
    (
        "medical_claim",
        "医保报销",
        "Medical insurance claim",
        "医保站",
        ["身份证", "医保卡", "发票", "病历"],
    ),
    (
        "disability_card",
        "残疾人证办理",
        "Disability certificate",
        "残联",
        ["身份证", "户口簿", "照片"],
    ),
    ("subsidy", "高龄津贴申领", "Old-age allowance", "民政办", ["身份证", "银行卡"]),
    ("household", "户籍业务", "Household registration", "派出所", ["户口簿", "身份证"]),
    ("farm_subsidy", "耕地地力保护补贴", "Farmland subsidy", "农经站", ["身份证", "承包合同"]),
]
OFFERS = [
    ("meal", "助老送餐", "幸福院食堂"),
    ("health", "上门健康体检", "镇卫生院"),
    ("cleaning", "居家保洁", "巧手家政"),
]
ALONE = [("赵大爷", 7), ("钱奶奶", 3), ("孙爷爷", 7)]


async def seed_demo(ctx: PluginContext, zone: ZoneInfo) -> None:
    async with ctx.sessions() as session:
        if await session.scalar(select(func.count()).select_from(Venue)):
            return
    villages = [n for n in ctx.grids.index if n.level == "village"]
    async with ctx.sessions.begin() as session:
        session.add_all(_venue(v) for v in villages)
        session.add_all(
            ServiceItem(code=c, name_zh=zh, name_en=en, department=d, documents=docs)
            for c, zh, en, d, docs in ITEMS
        )
    first = ctx.grids.index.find_code(FIRST_VILLAGE)
    if first is not None:
        await _first_village(ctx, first, zone)


def _venue(village: GridNode) -> Venue:
    return Venue(
        grid_id=village.id,
        name=f"{village.name}文化大院",
        address=f"{village.name}村委会东侧",
        capacity=80,
        open_minute=8 * 60,
        close_minute=21 * 60,
        slot_minutes=60,
    )


async def _first_village(ctx: PluginContext, village: GridNode, zone: ZoneInfo) -> None:
    """东庄村 shows every part: offers, people under check-in visits, bookings to approve."""
    basics = [n for n in ctx.grids.index.children(village.id) if n.kind == "basic"] or [village]
    now = time.time()
    checkins = [
        CheckIn(
            grid_id=basics[k % len(basics)].id,
            name=name,
            interval_days=days,
            phone=ctx.personal.seal(f"1370000{k:04d}"),
            due_at=now + (k + 2) * DAY_S,
        )
        for k, (name, days) in enumerate(ALONE)
    ]
    tomorrow = (datetime.now(zone) + timedelta(days=1)).date().isoformat()
    async with ctx.sessions.begin() as session:
        venue = await session.scalar(select(Venue).where(Venue.grid_id == village.id))
        session.add_all(
            CareOffer(grid_id=village.id, provider_id=0, provider_name=who, kind=kind, title=title)
            for kind, title, who in OFFERS
        )
        session.add_all(checkins)
        for start, purpose in ((9 * 60, "广场舞排练"), (14 * 60, "老年大学书法课")):
            booking = Booking(
                venue_id=venue.id if venue else 0,
                grid_id=village.id,
                day=tomorrow,
                start_minute=start,
                end_minute=start + 60,
                purpose=purpose,
                attendees=25,
                booker_name="王秀兰",
                booker_phone=ctx.personal.seal("13800001234"),
                code=new_code(),
            )
            session.add(booking)
            await session.flush()
            session.add(
                SlotHold(
                    venue_id=booking.venue_id,
                    day=tomorrow,
                    start_minute=start,
                    booking_id=booking.id,
                )
            )
    for row in checkins:
        await ctx.timers.schedule(
            KIND, f"checkin:{row.id}", row.due_at, {"id": row.id, "due_at": row.due_at}
        )
