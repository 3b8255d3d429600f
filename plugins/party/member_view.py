"""What a member sees of their own party life (the field app's 党员 tab): their record and
points, their branch's meetings whose sign-in is open or coming, the communities they may
report to, and the service tasks of the one they reported to."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from hub.sdk import PluginContext, Principal
from plugins.party.building import SIGN_IN_CLOSES, Building
from plugins.party.models import Attendance, Meeting, Organisation, PointEntry


class MemberView:
    def __init__(self, ctx: PluginContext, building: Building) -> None:
        self.ctx = ctx
        self.building = building

    async def summary(self, who: Principal) -> dict[str, Any]:
        """The member's page; `{"member": false}` for someone who is not a party member (the
        tab is everyone's, since membership is a record, not a role: an answer, not a 403)."""
        member = await self.building.member_of(who)
        if member is None:
            return {"member": False}
        index = self.ctx.grids.index
        async with self.ctx.sessions() as session:
            org = await session.get(Organisation, member.org_id)
            points = await session.scalar(
                select(func.coalesce(func.sum(PointEntry.points), 0)).where(
                    PointEntry.member_id == member.id
                )
            )
            meetings = await self._meetings(session, member.org_id, member.id)
        home = member.home_grid_id
        return {
            "member": True,
            "name": member.name,
            "org_name": org.name if org else "",
            "points": int(points or 0),
            "home_grid_id": home,
            "home_grid_name": index.get(home).name if home and home in index else None,
            "meetings": meetings,
            "tasks": await self.building.tasks_for_me(who),
        }

    @staticmethod
    async def _meetings(session: Any, org_id: int, member_id: int) -> list[dict[str, Any]]:
        """Meetings still open for sign-in or to come, soonest first."""
        since = datetime.now(UTC) - SIGN_IN_CLOSES
        rows = await session.scalars(
            select(Meeting)
            .where(Meeting.org_id == org_id, Meeting.starts_at >= since)
            .order_by(Meeting.starts_at)
            .limit(20)
        )
        found = list(rows)
        signed = set(
            await session.scalars(
                select(Attendance.meeting_id).where(
                    Attendance.member_id == member_id,
                    Attendance.meeting_id.in_([m.id for m in found]),
                )
            )
        )
        return [
            {"id": m.id, "title": m.title, "kind": m.kind, "place": m.place,
             "starts_at": m.starts_at.timestamp(), "signed": m.id in signed,
             "located": m.lon is not None and m.lat is not None}
            for m in found
        ]  # fmt: skip

    def communities(self) -> list[dict[str, Any]]:
        """The villages (communities) a member may report to."""
        index = self.ctx.grids.index
        villages = [n for n in index if n.level == "village" and not n.is_overlay]
        return [{"id": n.id, "name": n.name, "code": n.code}
                for n in sorted(villages, key=lambda n: n.code)]  # fmt: skip
