"""Small planar geometry on GeoJSON Polygon/MultiPolygon coordinates ([lon, lat])."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hub.errors import InvalidInput

Ring = Sequence[Sequence[float]]
# Positions per grid boundary: every location report tests points against boundaries, so one
# huge polygon would slow every report down (a village boundary needs a few hundred).
MAX_POSITIONS = 10_000


@dataclass(frozen=True, slots=True)
class BBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def contains(self, lon: float, lat: float) -> bool:
        return self.min_lon <= lon <= self.max_lon and self.min_lat <= lat <= self.max_lat


def polygons_of(geometry: dict[str, Any]) -> list[list[Ring]]:
    """The polygons (each a list of rings, outer first) of a Polygon or MultiPolygon."""
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    if kind == "Polygon":
        return [coords] if coords else []
    if kind == "MultiPolygon":
        return list(coords or [])
    raise InvalidInput("grid.geometry_invalid", f"unsupported geometry type {kind!r}")


def validate_geometry(geometry: dict[str, Any]) -> None:
    """Reject anything that is not a closed, finite Polygon or MultiPolygon in WGS84 range."""
    try:
        polygons = polygons_of(geometry)
        if not polygons:
            raise InvalidInput("grid.geometry_invalid", "geometry has no polygon")
        if sum(len(ring) for polygon in polygons for ring in polygon) > MAX_POSITIONS:
            raise InvalidInput(
                "grid.geometry_too_large", f"a boundary has at most {MAX_POSITIONS} positions"
            )
        for polygon in polygons:
            for ring in polygon:
                _validate_ring(ring)
    except (TypeError, ValueError, IndexError):
        raise InvalidInput(
            "grid.geometry_invalid", "coordinates must be rings of [lon, lat] positions"
        ) from None


def _validate_ring(ring: Ring) -> None:
    if len(ring) < 4 or list(ring[0]) != list(ring[-1]):
        raise InvalidInput("grid.geometry_invalid", "a ring needs 4+ positions and must be closed")
    for position in ring:
        if isinstance(position, str) or len(position) < 2:
            raise TypeError("position")
        lon, lat = float(position[0]), float(position[1])
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise InvalidInput("grid.geometry_invalid", "positions must be finite [lon, lat]")
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InvalidInput("grid.geometry_invalid", f"position out of range: {lon}, {lat}")


def bbox(geometry: dict[str, Any]) -> BBox:
    points = [p for poly in polygons_of(geometry) for p in poly[0]]
    lons = [float(p[0]) for p in points]
    lats = [float(p[1]) for p in points]
    return BBox(min(lons), min(lats), max(lons), max(lats))


def contains(geometry: dict[str, Any], lon: float, lat: float) -> bool:
    """Even-odd rule over outer rings minus holes; points on an edge may go either way."""
    for polygon in polygons_of(geometry):
        if _in_ring(polygon[0], lon, lat) and not any(_in_ring(h, lon, lat) for h in polygon[1:]):
            return True
    return False


def _in_ring(ring: Ring, lon: float, lat: float) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = float(ring[i][0]), float(ring[i][1])
        xj, yj = float(ring[j][0]), float(ring[j][1])
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def centroid(geometry: dict[str, Any]) -> tuple[float, float]:
    """Area-weighted centroid (lon, lat) of the outer rings."""
    total = cx = cy = 0.0
    for polygon in polygons_of(geometry):
        area, x, y = _ring_moments(polygon[0])
        total += area
        cx += x
        cy += y
    if abs(total) < 1e-15:
        box = bbox(geometry)
        return ((box.min_lon + box.max_lon) / 2, (box.min_lat + box.max_lat) / 2)
    return (cx / (3 * total), cy / (3 * total))


def _ring_moments(ring: Ring) -> tuple[float, float, float]:
    area = x = y = 0.0
    for (x0, y0), (x1, y1) in zip(
        ((float(p[0]), float(p[1])) for p in ring),
        ((float(p[0]), float(p[1])) for p in ring[1:]),
        strict=False,
    ):
        cross = x0 * y1 - x1 * y0
        area += cross
        x += (x0 + x1) * cross
        y += (y0 + y1) * cross
    return area / 2, x / 2, y / 2


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    r = 6_371_008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))
