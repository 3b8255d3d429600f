"""A small raster base map of a grid tree, drawn into an MBTiles file (the demo's county).

Counties run the console on an intranet with no tile server, so `gridhub demo` draws its own
base map on first start rather than showing grid outlines on an empty background: land, the
villages' fields, roads joining the villages, the river and the villages' names, all derived
from the grid geometry (GeoJSON in the hub's import format). Tiles are Web Mercator 256 px
PNGs in MBTiles 1.3 (SQLite, TMS row order), served by the consoles (consoles/maptiles.py).

Drawing is per tile, every feature in the tile's own pixel frame (Pillow clips): a road or a
name crossing a tile edge is drawn in both tiles and lines up. Lines are drawn at twice the
size and scaled down, which is the only anti-aliasing Pillow's ImageDraw offers.
"""

from __future__ import annotations

import io
import math
import os
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

TILE = 256
SCALE = 2  # drawn at twice the size, then scaled down (anti-aliasing)
FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")  # fonts-wqy-zenhei (scripts/setup)
DEMO_ZOOMS = range(10, 14)  # z13 shows a basic grid; the console scales it further in
LAND, FIELD_A, FIELD_B = (242, 239, 230), (226, 236, 214), (234, 240, 220)
WATER, ROAD, ROAD_CASE = (70, 150, 220), (255, 244, 205), (200, 170, 120)
VILLAGE, BORDER, LABEL, HALO = (222, 214, 205), (160, 150, 170), (60, 55, 50), (250, 248, 242)

Point = tuple[float, float]  # (lon, lat)


@dataclass(frozen=True)
class BaseMap:
    """What is drawn: the outline of the whole area, field patches, lines and named places."""

    outline: list[list[Point]]
    fields: list[list[Point]]
    rivers: list[list[Point]]
    roads: list[list[Point]]
    places: list[tuple[str, Point]]  # village names at their settlements

    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of the outline."""
        points = [p for ring in self.outline for p in ring]
        lons, lats = [p[0] for p in points], [p[1] for p in points]
        return min(lons), min(lats), max(lons), max(lats)


def from_grids(collection: dict[str, Any]) -> BaseMap:
    """The base map of a grid tree: the top node's outline, basic grids as fields, a road
    through each town's villages west to east and north-south roads through the first and last
    villages, a river where two neighbouring villages of a town share an edge all the way down
    (the demo's 弥河), and each village's name at a settlement beside its centre."""
    features = [f for f in collection["features"] if f.get("geometry")]
    by_level: dict[str, list[dict[str, Any]]] = {}
    for feature in features:
        if feature["properties"].get("kind", "basic") == "basic":
            by_level.setdefault(feature["properties"]["level"], []).append(feature)
    top = min(by_level, key=lambda level: len(by_level[level]))
    villages = by_level.get("village", [])
    return BaseMap(
        outline=[_ring(f) for f in by_level[top]],
        fields=[_ring(f) for f in by_level.get("grid", [])],
        rivers=_rivers(villages),
        roads=_roads(villages, *_lon_edges(by_level[top])),
        places=[(f["properties"]["name"], _settlement(f)) for f in villages],
    )


def _ring(feature: dict[str, Any]) -> list[Point]:
    return [(float(lon), float(lat)) for lon, lat in feature["geometry"]["coordinates"][0]]


def _centre(feature: dict[str, Any]) -> Point:
    lon, lat = feature["properties"].get("centre") or _mean(_ring(feature))
    return float(lon), float(lat)


def _mean(ring: Sequence[Point]) -> Point:
    return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)


def _settlement(feature: dict[str, Any]) -> Point:
    """South-west of the centre: the console labels the village polygon at its centre."""
    ring = _ring(feature)
    lon, lat = _centre(feature)
    width = max(p[0] for p in ring) - min(p[0] for p in ring)
    height = max(p[1] for p in ring) - min(p[1] for p in ring)
    return lon - 0.18 * width, lat - 0.22 * height


def _lon_edges(tops: list[dict[str, Any]]) -> tuple[float, float]:
    lons = [p[0] for f in tops for p in _ring(f)]
    return min(lons), max(lons)


def _towns(villages: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Villages per parent, west to east."""
    towns: dict[str, list[dict[str, Any]]] = {}
    for village in villages:
        towns.setdefault(village["properties"]["parent"], []).append(village)
    return {code: sorted(row, key=lambda v: _centre(v)[0]) for code, row in sorted(towns.items())}


def _roads(villages: list[dict[str, Any]], west: float, east: float) -> list[list[Point]]:
    towns = list(_towns(villages).values())
    roads = []
    for row in towns:
        centres = [_settlement(v) for v in row]
        roads.append([(west, centres[0][1]), *centres, (east, centres[-1][1])])
    for pick in (0, -1):  # north-south through each town's first and last village
        column = sorted((_settlement(row[pick]) for row in towns if row), key=lambda p: p[1])
        roads.append(column)
    return roads


def _rivers(villages: list[dict[str, Any]]) -> list[list[Point]]:
    """The shared edge of the second and third village of every town, joined south to north:
    the demo lays its river there (hub/demo_data.py). Nothing when the towns have no such pair."""
    course: set[Point] = set()
    for row in _towns(villages).values():
        if len(row) >= 3:
            course |= set(_ring(row[1])) & set(_ring(row[2]))
    return [sorted(course, key=lambda p: p[1])] if len(course) > 1 else []


# --- tiles ----------------------------------------------------------------------------------


def pixel(lon: float, lat: float, zoom: int) -> tuple[float, float]:
    """Web Mercator pixel position of a point at `zoom` (256 px tiles)."""
    size = TILE * 2**zoom
    sin = math.sin(math.radians(lat))
    y = 0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)
    return (lon + 180) / 360 * size, y * size


def tile_range(bounds: tuple[float, float, float, float], zoom: int) -> Iterator[tuple[int, int]]:
    """Every (x, y) tile touching `bounds` at `zoom` (XYZ numbering, y from the north)."""
    west, south, east, north = bounds
    x0, y0 = (int(v // TILE) for v in pixel(west, north, zoom))
    x1, y1 = (int(v // TILE) for v in pixel(east, south, zoom))
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            yield x, y


class Painter:
    """Draws the tiles of one base map; fonts are loaded once per size."""

    def __init__(self, basemap: BaseMap) -> None:
        self.map = basemap
        self._fonts: dict[int, ImageFont.FreeTypeFont | ImageFont.ImageFont] = {}
        self._projected: dict[int, _Projected] = {}

    def font(self, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        if size not in self._fonts:
            # Without the CJK font the names would be boxes: Pillow's own font draws Latin only
            self._fonts[size] = (
                ImageFont.truetype(str(FONT), size) if FONT.is_file() else ImageFont.load_default()
            )
        return self._fonts[size]

    def tile(self, zoom: int, x: int, y: int) -> bytes:
        """The PNG of tile (zoom, x, y)."""
        # transparent outside the area: the console's own background shows there
        image = Image.new("RGBA", (TILE * SCALE, TILE * SCALE), (0, 0, 0, 0))
        draw = ImageDraw.Draw(image)
        at = self._frame(zoom, x, y)
        for ring in at.map.outline:
            draw.polygon(at.shift(ring), fill=LAND, outline=BORDER, width=2 * SCALE)
        for index, ring in enumerate(at.map.fields):
            draw.polygon(at.shift(ring), fill=FIELD_A if index % 2 else FIELD_B)
        self._lines(draw, at)
        for name, point in at.map.places:
            self._place(draw, at, name, point)
        out = io.BytesIO()
        image.reduce(SCALE).save(out, "PNG")
        return out.getvalue()

    def _frame(self, zoom: int, x: int, y: int) -> _Frame:
        """Tile (x, y) of the map projected at `zoom` (projected once per zoom)."""
        if zoom not in self._projected:
            self._projected[zoom] = _Projected.of(self.map, zoom)
        return _Frame(self._projected[zoom], x * TILE * SCALE, y * TILE * SCALE)

    def _lines(self, draw: ImageDraw.ImageDraw, at: _Frame) -> None:
        grow = max(1, at.map.zoom - 9)  # wider on closer zooms
        for river in at.map.rivers:
            draw.line(at.shift(river), fill=WATER, width=(4 + 3 * grow) * SCALE, joint="curve")
        for road in at.map.roads:
            draw.line(at.shift(road), fill=ROAD_CASE, width=(3 + grow) * SCALE, joint="curve")
        for road in at.map.roads:
            draw.line(at.shift(road), fill=ROAD, width=(1 + grow) * SCALE, joint="curve")

    def _place(self, draw: ImageDraw.ImageDraw, at: _Frame, name: str, point: XY) -> None:
        cx, cy = at.shift([point])[0]
        reach = TILE * SCALE  # a name is narrower than a tile: farther ones cannot show
        if not (-reach < cx < 2 * reach and -reach < cy < 2 * reach):
            return
        radius = (2 + at.map.zoom - 10) * 2 * SCALE
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=VILLAGE)
        if at.map.zoom < 11:
            return  # too crowded at county scale: the console names the villages itself
        draw.text(
            (cx, cy + radius + 2 * SCALE),
            name,
            font=self.font((9 + at.map.zoom - 11) * SCALE + 4),
            fill=LABEL,
            anchor="mt",
            stroke_width=2 * SCALE,
            stroke_fill=HALO,
        )


XY = tuple[float, float]  # pixels at SCALE


@dataclass(frozen=True)
class _Projected:
    """The base map in the pixels of one zoom (at SCALE)."""

    zoom: int
    outline: list[list[XY]]
    fields: list[list[XY]]
    rivers: list[list[XY]]
    roads: list[list[XY]]
    places: list[tuple[str, XY]]

    @classmethod
    def of(cls, basemap: BaseMap, zoom: int) -> _Projected:
        def line(points: Sequence[Point]) -> list[XY]:
            return [_scaled(pixel(lon, lat, zoom)) for lon, lat in points]

        return cls(
            zoom,
            [line(r) for r in basemap.outline],
            [line(r) for r in basemap.fields],
            [line(r) for r in basemap.rivers],
            [line(r) for r in basemap.roads],
            [(name, _scaled(pixel(*p, zoom))) for name, p in basemap.places],
        )


def _scaled(point: tuple[float, float]) -> XY:
    return point[0] * SCALE, point[1] * SCALE


@dataclass(frozen=True)
class _Frame:
    """One tile's view of a projected map: its features and the tile's top-left pixel."""

    map: _Projected
    left: float
    top: float

    def shift(self, line: Sequence[XY]) -> list[XY]:
        return [(px - self.left, py - self.top) for px, py in line]


# --- MBTiles --------------------------------------------------------------------------------

SCHEMA = (
    "CREATE TABLE metadata (name TEXT NOT NULL, value TEXT)",
    "CREATE TABLE tiles (zoom_level INTEGER NOT NULL, tile_column INTEGER NOT NULL,"
    " tile_row INTEGER NOT NULL, tile_data BLOB NOT NULL)",
    "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)",
)


def write_mbtiles(basemap: BaseMap, target: Path, zooms: range, name: str) -> int:
    """Draw every tile of `basemap` at `zooms` into a new MBTiles file `target` (written beside
    it, then moved into place: a hub never sees half a file). Returns the number of tiles."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    painter, count = Painter(basemap), 0
    with sqlite3.connect(partial) as db:
        for statement in SCHEMA:
            db.execute(statement)
        db.executemany("INSERT INTO metadata VALUES (?, ?)", _metadata(basemap, zooms, name))
        for zoom in zooms:
            rows = [
                (zoom, x, 2**zoom - 1 - y, painter.tile(zoom, x, y))  # MBTiles rows: TMS
                for x, y in tile_range(basemap.bounds(), zoom)
            ]
            db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", rows)
            count += len(rows)
    db.close()
    partial.replace(target)
    return count


def _metadata(basemap: BaseMap, zooms: range, name: str) -> list[tuple[str, str]]:
    west, south, east, north = basemap.bounds()
    return [
        ("name", name),
        ("format", "png"),
        ("type", "baselayer"),
        ("version", "1"),
        ("bounds", f"{west:.6f},{south:.6f},{east:.6f},{north:.6f}"),
        ("center", f"{(west + east) / 2:.6f},{(south + north) / 2:.6f},{zooms[0] + 1}"),
        ("minzoom", str(zooms[0])),
        ("maxzoom", str(zooms[-1])),
        ("attribution", "GridHub demo base map, drawn from the demo grid tree"),
        ("description", "Land, fields, roads, the river and village names of the demo county"),
    ]
