"""The houses' per-cell summary for the map's cluster view (`HouseCell`): for each cluster zoom
(`LEVELS`) and grid, the houses of each square cell and the sums of their coordinates.

The cluster view of a county used to group every house in scope (~0.9 s for 400,000 houses on
SQLite); it now sums the few thousand cells of one level. The writers of houses add and take
away their houses here in their own transaction (`add`): a house made or imported adds one to
its cell of every level, a moved house (grid or position changed) leaves its old cells and
joins its new ones. Deltas are upserts (`houses = houses + excluded.houses`), so two imports at
once on PostgreSQL both count. The cell of a point is computed here, in Python, never by the
database (SQLite truncates a CAST, PostgreSQL rounds it).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from plugins.archives.models import HouseCell

FIRST_LEVEL, LAST_LEVEL = 8, 15  # zooms drawn as clusters (16 and in: single houses)
HOUSE_LEVEL = 16  # each house keeps its cell of this zoom (cell_x, cell_y) for the single view
LEVELS = range(FIRST_LEVEL, LAST_LEVEL + 1)
BATCH = 2000

Point = tuple[int, float | None, float | None]  # grid id, lng, lat
Key = tuple[int, int, int, int]  # level, grid id, cx, cy


def cell_size(zoom: int) -> float:
    """Degrees of a cluster cell: 0.0156 at zoom 13, halving with each step in."""
    return 0.5 / float(2 ** max(0, zoom - FIRST_LEVEL))


def level_of(zoom: int) -> int:
    """The summary level answering a cluster view at `zoom` (cells no larger than zoom 8's)."""
    return min(max(zoom, FIRST_LEVEL), LAST_LEVEL)


def cell_of(value: float, size: float) -> int:
    return math.floor(value / size)


def house_cell(lng: float | None, lat: float | None) -> tuple[int | None, int | None]:
    """A house's (cell_x, cell_y) at `HOUSE_LEVEL`: the single-house view reads a viewport's
    few cell rows through the (cell_y, cell_x) index, bounded both ways, then the exact box."""
    if lng is None or lat is None:
        return None, None
    size = cell_size(HOUSE_LEVEL)
    return cell_of(lng, size), cell_of(lat, size)


def deltas(points: Iterable[Point], sign: int = 1) -> dict[Key, list[float]]:
    """Per cell of every level: [houses, sum of lng, sum of lat] of `points` times `sign`
    (points without a position are not on the map). The points are summed into the finest
    level's cells once; a coarser cell is 2^k of those each way, so its index is the fine one
    shifted right (floor division, exact: cell sizes are powers of two apart)."""
    size = cell_size(LAST_LEVEL)
    finest: dict[tuple[int, int, int], list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for grid_id, lng, lat in points:
        if lng is None or lat is None:
            continue
        cell = finest[(grid_id, cell_of(lng, size), cell_of(lat, size))]
        cell[0] += sign
        cell[1] += sign * lng
        cell[2] += sign * lat
    out: dict[Key, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for level in LEVELS:
        shift = LAST_LEVEL - level
        for (grid_id, cx, cy), (n, lng, lat) in finest.items():
            cell = out[(level, grid_id, cx >> shift, cy >> shift)]
            cell[0] += n
            cell[1] += lng
            cell[2] += lat
    return out


async def add(session: AsyncSession, points: Iterable[Point], sign: int = 1) -> None:
    """Count `points` into (sign 1) or out of (sign -1) their cells, in the caller's
    transaction."""
    rows = [
        {"level": key[0], "grid_id": key[1], "cx": key[2], "cy": key[3], "houses": int(n),
         "sum_lng": lng, "sum_lat": lat}
        for key, (n, lng, lat) in deltas(points, sign).items()
    ]  # fmt: skip
    if not rows:
        return
    stmt = _upsert(session)
    for start in range(0, len(rows), BATCH):
        await session.execute(stmt, rows[start : start + BATCH])


async def move(session: AsyncSession, before: Point, after: Point) -> None:
    """A house changed grid or position: out of its old cells, into its new ones."""
    if before != after:
        await add(session, [before], -1)
        await add(session, [after])


def _upsert(session: AsyncSession) -> Any:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = HouseCell.__table__
    stmt = dialect.insert(table)
    return stmt.on_conflict_do_update(
        index_elements=["level", "grid_id", "cx", "cy"],
        set_={
            "houses": table.c.houses + stmt.excluded.houses,
            "sum_lng": table.c.sum_lng + stmt.excluded.sum_lng,
            "sum_lat": table.c.sum_lat + stmt.excluded.sum_lat,
        },
    )
