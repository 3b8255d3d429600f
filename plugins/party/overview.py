"""What the map and the big screen show: the party-building grids of the caller's scope as a
GeoJSON layer (with the organisations on them), and one summary of party work: members by
branch, meetings held this year, disclosure compliance and the points leaders."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from hub.sdk import PluginContext, Principal
from plugins.party import access, periods
from plugins.party.building import Building
from plugins.party.models import Meeting, Member, Organisation, PointEntry
from plugins.party.schemas import YearQuery
from plugins.party.views import DisclosureViews


class Overview:
    def __init__(self, ctx: PluginContext, building: Building, views: DisclosureViews) -> None:
        self.ctx = ctx
        self.building = building
        self.views = views

    async def party_grids(self, who: Principal) -> dict[str, Any]:
        index = self.ctx.grids.index
        visible = None if who.is_admin else index.scope_ids(who.grid_ids(access.PARTY_STAFF))
        async with self.ctx.sessions() as session:
            rows = await session.execute(select(Organisation.grid_id, Organisation.name))
            orgs: dict[int, list[str]] = {}
            for grid_id, name in rows:
                orgs.setdefault(grid_id, []).append(name)
        features = [
            {
                "type": "Feature",
                "id": node.id,
                "geometry": node.boundary,
                "properties": {
                    "name": " · ".join([node.name, *orgs.get(node.id, [])]),
                    "code": node.code,
                },
            }
            for node in index
            if node.kind == "party" and node.boundary and (visible is None or node.id in visible)
        ]
        return {"type": "FeatureCollection", "features": features}

    async def summary(self, who: Principal) -> dict[str, Any]:
        orgs = await self.building.orgs(who)
        ids = [o["id"] for o in orgs]
        year = periods.today(self.views.zone).year
        async with self.ctx.sessions() as session:
            held = await session.scalar(
                select(func.count()).where(
                    Meeting.org_id.in_(ids),
                    Meeting.starts_at >= datetime(year, 1, 1, tzinfo=UTC),
                    Meeting.starts_at <= datetime.now(UTC),
                )
            )
            leaders = await session.execute(
                select(Member.name, func.sum(PointEntry.points).label("points"))
                .join(PointEntry, PointEntry.member_id == Member.id)
                .where(Member.org_id.in_(ids))
                .group_by(Member.id, Member.name)
                .order_by(func.sum(PointEntry.points).desc(), Member.name)
                .limit(5)
            )
            top = [{"name": name, "points": int(points)} for name, points in leaders]
        calendar = await self.views.calendar(who, YearQuery(year=year))
        statuses = Counter(row["status"] for row in calendar)
        closed = statuses["published"] + statuses["overdue"]  # periods already decided
        compliance = round(statuses["published"] / closed, 4) if closed else None
        return {
            "members_by_branch": [
                {"name": o["name"], "members": o["members"]} for o in orgs if o["kind"] == "branch"
            ],
            "meetings_held": held or 0,
            "disclosure": {
                "published": statuses["published"],
                "overdue": statuses["overdue"],
                "compliance": compliance,
            },
            "points_leaders": top,
        }
