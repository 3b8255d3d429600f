"""The committees' levels: village → town → county (小事不出村、大事不出镇、矛盾不上交)."""

from __future__ import annotations

from hub.sdk import GridIndex, InvalidInput

LEVELS = ("village", "town", "county")
# What a timeline line calls a level a risk reached (escalation's chains may also stop at a grid)
LEVEL_NAMES = {
    "grid": {"zh": "网格", "en": "grid"},
    "village": {"zh": "村级", "en": "village"},
    "town": {"zh": "镇级", "en": "town"},
    "county": {"zh": "县级", "en": "county"},
}


def reached(level: str, grid_id: int) -> dict[str, object]:
    """The details of a 风险未处置，已报<level> line: the level, its grid and its name."""
    name = LEVEL_NAMES.get(level, {"zh": level, "en": level})
    return {"level": level, "level_grid_id": grid_id, "level_name": dict(name)}


def committee(index: GridIndex, grid_id: int, start: str = "village") -> tuple[str, int]:
    """The lowest committee at or above `start` over the grid: (level, grid id).

    A grid with no village above it (a town's own professional grid) goes to its town."""
    chain = [*index.ancestors(grid_id), index.get(grid_id)]
    for level in LEVELS[LEVELS.index(start) :]:
        found = [node.id for node in chain if node.level == level and not node.is_overlay]
        if found:
            return level, found[-1]
    raise InvalidInput("mediation.no_committee", "no village, town or county above this grid")


def above(index: GridIndex, grid_id: int, level: str) -> tuple[str, int] | None:
    """The committee one level above `level` over the grid, or None at the county."""
    position = LEVELS.index(level)
    if position + 1 >= len(LEVELS):
        return None
    try:
        return committee(index, grid_id, LEVELS[position + 1])
    except InvalidInput:
        return None


def town_of(index: GridIndex, grid_id: int) -> int:
    """The town grid over a grid (the county when it has none): the centre a risk alerts."""
    try:
        return committee(index, grid_id, "town")[1]
    except InvalidInput:
        return grid_id
