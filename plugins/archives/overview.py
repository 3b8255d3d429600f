"""The archive at a glance, for the big screen's panels and the incident drawer's card.

`summary`: population of the caller's grids by grid and category, key groups (only the tags the
caller may see), and visit coverage (key-group people visited in the last 30 days).
`nearby`: what the archive holds around a point (an incident's place): the nearest houses with
their people (masked, with the tags the caller may see) and the nearest places.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from hub.sdk import Principal, utcnow
from plugins.archives import access
from plugins.archives.models import House, Place, Resident, ResidentTag
from plugins.archives.residents import Residents
from plugins.archives.schemas import NearbyQuery, ResidentsQuery
from plugins.archives.shared import Env, in_reach, tag_catalogue
from plugins.archives.work_models import Visit

COVERAGE_DAYS = 30
TOP_GRIDS = 10
NEAR_HOUSES, NEAR_PLACES, PEOPLE_PER_HOUSE = 3, 5, 10
METRES_PER_DEGREE = 111_320.0


class Overview:
    def __init__(self, env: Env, residents: Residents) -> None:
        self.env = env
        self.residents = residents

    async def summary(self, who: Principal) -> dict[str, Any]:
        index = self.env.index
        reach = in_reach(who, index, Resident.grid_id, access.READ_ROLES)
        by_grid = (
            select(Resident.grid_id, Resident.category, func.count())
            .where(reach, Resident.status == "active")
            .group_by(Resident.grid_id, Resident.category)
        )
        tagged = select(ResidentTag.grid_id, ResidentTag.tag_code, ResidentTag.resident_id).where(
            in_reach(who, index, ResidentTag.grid_id, access.READ_ROLES)
        )
        async with self.env.ctx.sessions() as session:
            counts = (await session.execute(by_grid)).all()
            catalogue = await tag_catalogue(session)
            links = (await session.execute(tagged)).all()
            visited = set(await session.scalars(self._visited(who)))
        population = self._population(counts)
        seen = self._seen_links(who, catalogue, links)
        groups = [
            {
                "code": c,
                "name_zh": catalogue[c].name_zh,
                "name_en": catalogue[c].name_en,
                "count": len(ids),
            }
            for c, ids in sorted(seen.items())
            if c in catalogue
        ]
        people = set().union(*seen.values()) if seen else set()
        return {
            **population,
            "key_groups": groups,
            "coverage": {
                "days": COVERAGE_DAYS,
                "people": len(people),
                "visited": len(people & visited),
            },
        }

    def _visited(self, who: Principal) -> Any:
        since = utcnow() - timedelta(days=COVERAGE_DAYS)
        return (
            select(Visit.subject_id)
            .distinct()
            .where(
                Visit.subject_type == "person",
                Visit.visited_at >= since,
                in_reach(who, self.env.index, Visit.grid_id, access.READ_ROLES),
            )
        )

    def _population(self, counts: Any) -> dict[str, Any]:
        grids: dict[int, dict[str, Any]] = {}
        totals = {"registered": 0, "resident": 0, "floating": 0}
        for grid_id, category, count in counts:
            grid = grids.setdefault(
                grid_id,
                {
                    "grid_id": grid_id,
                    "total": 0,
                    "name": self.env.grid_name(grid_id),
                    "registered": 0,
                    "resident": 0,
                    "floating": 0,
                },
            )
            grid[category] = grid.get(category, 0) + count
            grid["total"] += count
            totals[category] = totals.get(category, 0) + count
        top = sorted(grids.values(), key=lambda g: (-g["total"], g["grid_id"]))[:TOP_GRIDS]
        return {"total": sum(totals.values()), "by_category": totals, "by_grid": top}

    def _seen_links(
        self, who: Principal, catalogue: dict[str, Any], links: Any
    ) -> dict[str, set[int]]:
        roles = {code: tag.visible_roles for code, tag in catalogue.items()}
        sight: dict[int, set[str]] = {}
        seen: dict[str, set[int]] = {}
        for grid_id, code, resident_id in links:
            if grid_id not in sight:
                sight[grid_id] = access.visible_tags(who, self.env.index, roles, grid_id)
            if code in sight[grid_id]:
                seen.setdefault(code, set()).add(resident_id)
        return seen

    async def nearby(self, who: Principal, query: NearbyQuery) -> dict[str, Any]:
        houses = await self._nearest(who, House, query, NEAR_HOUSES)
        places = await self._nearest(who, Place, query, NEAR_PLACES)
        out_houses = []
        for distance, house in houses:
            found = await self.residents.search(
                who, ResidentsQuery(house_id=house.id, limit=PEOPLE_PER_HOUSE)
            )
            out_houses.append(
                {
                    "id": house.id,
                    "code": house.code,
                    "address": house.address_text,
                    "use": house.use,
                    "distance_m": round(distance),
                    "people": found["items"],
                    "more_people": found["has_more"],
                }
            )
        return {
            "houses": out_houses,
            "places": [
                {
                    "id": p.id,
                    "name": p.name,
                    "kind": p.kind,
                    "risk_level": p.risk_level,
                    "distance_m": round(d),
                }
                for d, p in places
            ],
        }

    async def _nearest(
        self, who: Principal, model: Any, query: NearbyQuery, count: int
    ) -> list[tuple[float, Any]]:
        """The `count` nearest rows within the radius (a box first, on the lat/lng index)."""
        d_lat = query.radius_m / METRES_PER_DEGREE
        d_lng = d_lat / max(0.01, math.cos(math.radians(query.lat)))
        stmt = (
            select(model)
            .where(
                in_reach(who, self.env.index, model.grid_id + 0, access.READ_ROLES),
                model.lat.between(query.lat - d_lat, query.lat + d_lat),
                model.lng.between(query.lng - d_lng, query.lng + d_lng),
            )
            .limit(500)
        )
        async with self.env.ctx.sessions() as session:
            rows = list(await session.scalars(stmt))
        near = [(_metres(query.lng, query.lat, r.lng or 0, r.lat or 0), r) for r in rows]
        near = [(d, r) for d, r in near if d <= query.radius_m]
        return sorted(near, key=lambda pair: (pair[0], pair[1].id))[:count]


def _metres(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Distance on a small patch of the earth (equirectangular: metres off by < 0.1 %)."""
    x = math.radians(lng2 - lng1) * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(x, math.radians(lat2 - lat1)) * 6_371_000
