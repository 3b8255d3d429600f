"""The archive's map layers as GeoJSON: houses (clustered by a square cell of the zoom, single
houses when zoomed in on a viewport), places (each, with its risk), and key groups (counts per
cell of the people carrying a tag the caller may see, at their house).

The houses and places layers are viewport layers (`MapLayer(viewport=True)`): the console's
map asks again with `bbox` and `zoom` each time it stops moving. Houses come single in a
viewport at zoom 16 and in, clustered further out from the per-cell summary (cells.py, so a
county's cluster view reads a few thousand cells, not every house); places single from zoom 14
(there are far fewer: grouped on the fly below that). A call without a zoom (another client)
gets the single houses of the caller's whole scope when they are few (at most `SINGLE_SCOPE`: a
grid worker's or a village's houses), else the cluster view (cells of ~3 km, zoom 12), and
every place.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, and_, cast, func, or_, select

from hub.sdk import InvalidInput, Principal
from plugins.archives import access
from plugins.archives.cells import HOUSE_LEVEL, cell_of, cell_size, level_of
from plugins.archives.models import House, HouseCell, Place, Resident, ResidentTag, Tag
from plugins.archives.schemas import LayerQuery
from plugins.archives.shared import Env, in_reach, tag_catalogue

SINGLE_ZOOM = 16
PLACE_SINGLE_ZOOM = 14
DEFAULT_ZOOM = 12
CELL_ROWS = 64  # a viewport's cell rows listed one by one (more: a hostile or odd bbox)
SINGLE_SCOPE = 2000  # houses drawn one by one when no viewport is given (Leaflet copes)
MAX_FEATURES = 5000
RISK_WORDS = {"low": "低风险 low risk", "medium": "中风险 medium risk", "high": "高风险 high risk"}


def parse_bbox(text: str) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        west, south, east, north = (float(part) for part in text.split(","))
    except ValueError:
        raise InvalidInput("archives.bbox_invalid", "bbox is west,south,east,north") from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InvalidInput("archives.bbox_invalid", "bbox is west,south,east,north in degrees")
    return west, south, east, north


def _point(lng: float, lat: float, feature_id: str, props: dict[str, Any]) -> dict[str, Any]:
    geometry = {"type": "Point", "coordinates": [round(lng, 6), round(lat, 6)]}
    return {"type": "Feature", "id": feature_id, "properties": props, "geometry": geometry}


def _box_terms(model: type[House | Place], bbox: tuple[float, float, float, float] | None
               ) -> list[ColumnElement[bool]]:  # fmt: skip
    """WHERE terms: located, and inside `bbox` when one is given."""
    terms: list[ColumnElement[bool]] = [model.lng.is_not(None), model.lat.is_not(None)]
    if bbox is not None:
        west, south, east, north = bbox
        terms += [model.lng.between(west, east), model.lat.between(south, north)]
    return terms


def _house_cell_terms(bbox: tuple[float, float, float, float]) -> list[ColumnElement[bool]]:
    """The zoom-16 cells covering `bbox` as terms the (cell_y, cell_x) index answers bounded
    both ways: each cell row listed (an IN on the index's first column), a range of cells
    within each. Floor is monotonic, so every house inside the box is in these cells; the exact
    box terms still apply."""
    size = cell_size(HOUSE_LEVEL)
    x0, y0, x1, y1 = (cell_of(edge, size) for edge in bbox)
    rows = House.cell_y.between(y0, y1)
    if y1 - y0 < CELL_ROWS:
        rows = House.cell_y.in_(list(range(y0, y1 + 1)))
    return [rows, House.cell_x.between(x0, x1)]


def collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


class Layers:
    def __init__(self, env: Env) -> None:
        self.env = env

    def _in_box(self, stmt: Select[Any], model: type[House | Place],
                bbox: tuple[float, float, float, float] | None) -> Select[Any]:  # fmt: skip
        return stmt.where(*_box_terms(model, bbox))

    async def houses(self, who: Principal, query: LayerQuery) -> dict[str, Any]:
        bbox = parse_bbox(query.bbox)
        # a viewport is narrower than a county's grids: `+ 0` keeps SQLite on the lat/lng
        # index instead of the grid index (which reads every house of the scope first)
        grid = House.grid_id + 0 if bbox is not None else House.grid_id
        reach = in_reach(who, self.env.index, grid, access.READ_ROLES)
        if await self._single(reach, bbox, query.zoom):
            # the drawn columns only, as plain rows: no ORM objects for thousands of houses
            columns = (House.id, House.lng, House.lat, House.address_text, House.code, House.use)
            stmt = select(*columns).where(reach, *_box_terms(House, bbox))
            if bbox is not None:
                stmt = stmt.where(*_house_cell_terms(bbox))
            async with self.env.ctx.sessions() as session:
                rows = (await session.execute(stmt.order_by(House.id).limit(MAX_FEATURES))).all()
            return collection([_point(lng or 0, lat or 0, f"house:{house_id}", {
                "name": f"{text} · {code}", "kind": "house", "id": house_id, "use": use})
                for house_id, lng, lat, text, code, use in rows])  # fmt: skip
        return await self._house_cells(who, bbox, query.zoom or DEFAULT_ZOOM)

    async def _single(self, reach: Any, bbox: tuple[float, float, float, float] | None,
                      zoom: int | None) -> bool:  # fmt: skip
        """Single houses: a zoomed-in viewport, or no view given and a scope of few houses."""
        if zoom is not None:
            return bbox is not None and zoom >= SINGLE_ZOOM
        stmt = self._in_box(select(House.id).where(reach), House, bbox).limit(SINGLE_SCOPE + 1)
        async with self.env.ctx.sessions() as session:
            found = await session.scalar(select(func.count()).select_from(stmt.subquery()))
        return (found or 0) <= SINGLE_SCOPE

    async def _house_cells(self, who: Principal, bbox: tuple[float, float, float, float] | None,
                           zoom: int) -> dict[str, Any]:  # fmt: skip
        """Houses clustered from the per-cell summary (cells.py): the cells of the zoom's
        level in the caller's grids that meet the viewport (one cell of margin: a cell is
        drawn whole), summed over grids."""
        level = level_of(zoom)
        houses = func.sum(HouseCell.houses)
        stmt = select(HouseCell.cx, HouseCell.cy, houses, func.sum(HouseCell.sum_lng),
                      func.sum(HouseCell.sum_lat)).where(
            HouseCell.level == level,
            in_reach(who, self.env.index, HouseCell.grid_id, access.READ_ROLES))  # fmt: skip
        if bbox is not None:
            size = cell_size(level)
            west, south, east, north = (int(edge // size) for edge in bbox)
            stmt = stmt.where(HouseCell.cx.between(west - 1, east + 1),
                              HouseCell.cy.between(south - 1, north + 1))  # fmt: skip
        stmt = stmt.group_by(HouseCell.cx, HouseCell.cy).having(houses > 0).limit(MAX_FEATURES)
        async with self.env.ctx.sessions() as session:
            cells = (await session.execute(stmt)).all()
        return collection([_point(lng / n, lat / n, f"houses:{cx}:{cy}", {
            "name": f"房屋 {n} 处 · {n} houses", "kind": "cluster", "count": n})
            for cx, cy, n, lng, lat in cells])  # fmt: skip

    async def _place_clusters(self, reach: Any, bbox: tuple[float, float, float, float] | None,
                              zoom: int) -> dict[str, Any]:  # fmt: skip
        """Places grouped per cell on the fly (a county has thousands, not hundreds of
        thousands: no summary needed)."""
        size = cell_size(zoom)
        x = cast(Place.lng / size, Integer)
        y = cast(Place.lat / size, Integer)
        stmt = select(x, y, func.count(), func.avg(Place.lng), func.avg(Place.lat)).where(reach)
        stmt = self._in_box(stmt, Place, bbox).group_by(x, y).limit(MAX_FEATURES)
        async with self.env.ctx.sessions() as session:
            cells = (await session.execute(stmt)).all()
        return collection([_point(lng, lat, f"places:{cx}:{cy}", {
            "name": f"单位 {count} 处 · {count} places", "kind": "cluster",
            "count": count}) for cx, cy, count, lng, lat in cells])  # fmt: skip

    async def places(self, who: Principal, query: LayerQuery) -> dict[str, Any]:
        bbox = parse_bbox(query.bbox)
        reach = in_reach(who, self.env.index, Place.grid_id, access.READ_ROLES)
        if query.zoom is not None and query.zoom < PLACE_SINGLE_ZOOM:
            return await self._place_clusters(reach, bbox, query.zoom)
        stmt = self._in_box(select(Place).where(reach), Place, bbox)
        async with self.env.ctx.sessions() as session:
            rows = list(await session.scalars(stmt.order_by(Place.id).limit(MAX_FEATURES)))
        return collection([_point(p.lng or 0, p.lat or 0, f"place:{p.id}", {
            "name": f"{p.name} · {RISK_WORDS.get(p.risk_level, p.risk_level)}",
            "kind": p.kind, "risk_level": p.risk_level, "id": p.id}) for p in rows])  # fmt: skip

    async def key_groups(self, who: Principal, query: LayerQuery) -> dict[str, Any]:
        """People carrying a key-group tag the caller may see on them, counted per cell at
        their house (people without a located house are left out), all in SQL: each tag is
        kept only in the grids where the caller's roles see it."""
        size = cell_size(query.zoom or DEFAULT_ZOOM)
        x, y = cast(House.lng / size, Integer), cast(House.lat / size, Integer)
        async with self.env.ctx.sessions() as session:
            sight = self._tag_sight(who, await tag_catalogue(session))
            if not sight:
                return collection([])
            stmt = (select(x, y, func.count(), func.avg(House.lng), func.avg(House.lat))
                    .select_from(ResidentTag)
                    .join(Resident, Resident.id == ResidentTag.resident_id)
                    .join(House, House.id == Resident.house_id)
                    .where(or_(*sight), Resident.status == "active", House.lng.is_not(None),
                           House.lat.is_not(None))
                    .group_by(x, y).order_by(x, y).limit(MAX_FEATURES))  # fmt: skip
            cells = (await session.execute(stmt)).all()
        return collection([_point(lng, lat, f"keygroups:{cx}:{cy}", {
            "name": f"重点人群 {n} 人 · {n} people", "kind": "key_groups", "count": n})
            for cx, cy, n, lng, lat in cells])  # fmt: skip

    def _tag_sight(self, who: Principal, catalogue: dict[str, Tag]) -> list[ColumnElement[bool]]:
        """Per tag, the grids where `who` both reads the archive and may see the tag (each a
        WHERE term; none: the caller sees no key group anywhere)."""
        index, terms = self.env.index, []
        read = access.scope_ids(who, index, access.READ_ROLES)
        for code, tag in catalogue.items():
            seen = access.scope_ids(who, index, tag.visible_roles)
            grids = seen if read is None else read if seen is None else read & seen
            if grids is None:
                terms.append(ResidentTag.tag_code == code)
            elif grids:
                terms.append(and_(ResidentTag.tag_code == code,
                                  ResidentTag.grid_id.in_(sorted(grids))))  # fmt: skip
        return terms
