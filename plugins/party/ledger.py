"""The yearly assessment ledger of a branch (党员积分考核台账): per member the points of the year
by source, meetings attended of those held, service hours; as JSON and as an XLSX download."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import openpyxl
from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import PluginContext, Principal
from plugins.party.attachments import XLSX
from plugins.party.building import Building
from plugins.party.models import Attendance, Meeting, Member, PointEntry, ServiceRecord

SOURCES = ("meeting", "service", "incident", "activity")
HEADERS = (
    "姓名 Name",
    "状态 Status",
    "组织生活 Meetings",
    "服务时长 Hours",
    "会议积分 Meeting pts",
    "服务积分 Service pts",
    "事件积分 Incident pts",
    "活动积分 Activity pts",
    "合计 Total",
)


class Ledger:
    def __init__(self, ctx: PluginContext, building: Building) -> None:
        self.ctx = ctx
        self.building = building

    async def rows(self, who: Principal, org_id: int, year: int) -> dict[str, Any]:
        span = Span(datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC))
        async with self.ctx.sessions() as session:
            org = await self.building.org_in_scope(session, who, org_id)
            stmt = select(Member).where(Member.org_id == org_id).order_by(Member.id)
            members = list(await session.scalars(stmt))
            points = await _points(session, org_id, span)
            attended = await _attended(session, org_id, span)
            hours = await _hours(session, span)
            held = await _held(session, org_id, span)
        return {
            "org": org.name,
            "year": year,
            "meetings_held": held,
            "members": [
                {
                    "name": m.name,
                    "status": m.status,
                    "meetings": attended.get(m.id, 0),
                    "hours": hours.get(m.id, 0),
                    "points": {s: points.get(m.id, {}).get(s, 0) for s in SOURCES},
                    "total": sum(points.get(m.id, {}).values()),
                }
                for m in members
            ],
        }

    async def xlsx(self, who: Principal, org_id: int, year: int) -> web.Response:
        ledger = await self.rows(who, org_id, year)
        data = await asyncio.to_thread(_workbook, ledger)
        name = f"ledger-{org_id}-{year}.xlsx"
        return web.Response(
            body=data,
            content_type=XLSX,
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "X-Content-Type-Options": "nosniff",
            },
        )


def _workbook(ledger: dict[str, Any]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = str(ledger["year"])
    sheet.append(
        [
            f"{ledger['org']} {ledger['year']} 年度党员积分考核台账",
            f"组织生活 {ledger['meetings_held']} 次",
        ]
    )
    sheet.append(list(HEADERS))
    for m in ledger["members"]:
        sheet.append(
            [
                m["name"],
                m["status"],
                m["meetings"],
                m["hours"],
                *(m["points"][s] for s in SOURCES),
                m["total"],
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class Span:
    start: datetime
    end: datetime


async def _points(session: AsyncSession, org_id: int, span: Span) -> dict[int, dict[str, int]]:
    """Each member's points of the span by source."""
    rows = await session.execute(
        select(PointEntry.member_id, PointEntry.source, func.sum(PointEntry.points))
        .join(Member, Member.id == PointEntry.member_id)
        .where(
            Member.org_id == org_id,
            PointEntry.awarded_at >= span.start,
            PointEntry.awarded_at < span.end,
        )
        .group_by(PointEntry.member_id, PointEntry.source)
    )
    out: dict[int, dict[str, int]] = {}
    for member_id, source, total in rows:
        out.setdefault(member_id, {})[source] = int(total)
    return out


async def _attended(session: AsyncSession, org_id: int, span: Span) -> dict[int, int]:
    rows = await session.execute(
        select(Attendance.member_id, func.count())
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(
            Meeting.org_id == org_id, Meeting.starts_at >= span.start, Meeting.starts_at < span.end
        )
        .group_by(Attendance.member_id)
    )
    return {member_id: int(count) for member_id, count in rows}


async def _hours(session: AsyncSession, span: Span) -> dict[int, int]:
    rows = await session.execute(
        select(ServiceRecord.member_id, func.sum(ServiceRecord.hours))
        .where(ServiceRecord.done_at >= span.start, ServiceRecord.done_at < span.end)
        .group_by(ServiceRecord.member_id)
    )
    return {member_id: int(total or 0) for member_id, total in rows}


async def _held(session: AsyncSession, org_id: int, span: Span) -> int:
    """Meetings of the span that have started (a meeting to come is not held yet)."""
    held = await session.scalar(
        select(func.count()).where(
            Meeting.org_id == org_id,
            Meeting.starts_at >= span.start,
            Meeting.starts_at < span.end,
            Meeting.starts_at <= datetime.now(UTC),
        )
    )
    return int(held or 0)
