"""GridIndex: tree navigation, scope coverage with overlays, and locating points."""

from __future__ import annotations

from typing import Any

import pytest

from hub.errors import NotFound
from hub.grid import GridIndex, GridKind, GridNode


def box(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def node(
    grid_id: int,
    code: str,
    path: str,
    boundary: dict[str, Any] | None,
    *,
    kind: GridKind = GridKind.BASIC,
    covers: frozenset[int] = frozenset(),
    level: str = "x",
) -> GridNode:
    parts = [int(p) for p in path.strip("/").split("/")]
    parent = parts[-2] if len(parts) > 1 else None
    return GridNode(
        id=grid_id,
        code=code,
        name=code,
        level=level,
        kind=kind,
        parent_id=parent,
        path=path,
        centre=None,
        boundary=boundary,
        covers=covers,
    )


#   county(1) 0..4 x 0..2
#   ├── town A(2) 0..2         ├── town B(3) 2..4
#   │   ├── a1(4) 0..1         │   ├── b1(6) 2..3
#   │   └── a2(5) 1..2         │   └── b2(7) 3..4
#   └── river overlay(8) under county, covering a2 and b1
@pytest.fixture
def index() -> GridIndex:
    return GridIndex(
        [
            node(1, "county", "/1/", box(0, 0, 4, 2)),
            node(2, "A", "/1/2/", box(0, 0, 2, 2)),
            node(3, "B", "/1/3/", box(2, 0, 4, 2)),
            node(4, "a1", "/1/2/4/", box(0, 0, 1, 2)),
            node(5, "a2", "/1/2/5/", box(1, 0, 2, 2)),
            node(6, "b1", "/1/3/6/", box(2, 0, 3, 2)),
            node(7, "b2", "/1/3/7/", box(3, 0, 4, 2)),
            node(
                8,
                "river",
                "/1/8/",
                box(1, 0, 3, 2),
                kind=GridKind.PROFESSIONAL,
                covers=frozenset({5, 6}),
            ),
        ]
    )


def test_enclosing_finds_the_node_of_a_level_a_grid_lies_in() -> None:
    index = GridIndex(
        [
            node(1, "county", "/1/", None, level="county"),
            node(2, "town", "/1/2/", None, level="town"),
            node(3, "village", "/1/2/3/", None, level="village"),
            node(4, "grid", "/1/2/3/4/", None, level="grid"),
        ]
    )
    assert index.enclosing(4, "village") == index.get(3)  # a grid's village
    assert index.enclosing(3, "village") == index.get(3)  # a village is its own
    assert index.enclosing(4, "county") == index.get(1)
    assert index.enclosing(2, "village") is None  # a town lies in no village
    assert index.enclosing(99, "village") is None  # unknown grid


def codes(nodes: list[GridNode]) -> list[str]:
    return [n.code for n in nodes]


def test_navigation(index: GridIndex) -> None:
    assert len(index) == 8
    assert codes(index.roots()) == ["county"]
    assert codes(index.children(2)) == ["a1", "a2"]
    assert codes(index.ancestors(5)) == ["county", "A"]
    assert index.ancestors(1) == []
    assert index.get(6).depth == 2
    assert index.by_code("b2").id == 7
    assert index.find_code("nope") is None
    assert sorted(codes(index.subtree(3))) == ["B", "b1", "b2"]
    with pytest.raises(NotFound):
        index.get(99)
    with pytest.raises(NotFound):
        index.by_code("nope")


def test_is_within(index: GridIndex) -> None:
    assert index.is_within(4, 1)
    assert index.is_within(4, 4)
    assert not index.is_within(1, 4)
    assert not index.is_within(6, 2)
    assert not index.is_within(99, 1)


def test_covers_follows_subtrees_and_overlay_links(index: GridIndex) -> None:
    assert index.covers(2, 4)
    assert not index.covers(2, 6)
    assert index.covers(8, 5)
    assert index.covers(8, 6)
    assert index.covers(8, 8)
    assert not index.covers(8, 4)
    assert not index.covers(8, 7)
    assert not index.covers(8, 3)  # covering b1 is not covering its parent
    assert index.covers(1, 8)


def test_scope_ids(index: GridIndex) -> None:
    assert index.scope_ids([8]) == {8, 5, 6}
    assert index.scope_ids([2]) == {2, 4, 5}
    assert index.scope_ids([4, 7, 99]) == {4, 7}


def test_overlays_covering(index: GridIndex) -> None:
    assert codes(index.overlays_covering(5)) == ["river"]
    assert codes(index.overlays_covering(4)) == []


def located(index: GridIndex, lon: float, lat: float) -> str | None:
    found = index.locate(lon, lat)
    return found.code if found is not None else None


def test_locate_picks_the_deepest_basic_grid(index: GridIndex) -> None:
    assert located(index, 1.5, 1.0) == "a2"  # inside county, A, a2 and the river overlay
    assert located(index, 3.5, 0.5) == "b2"
    assert located(index, 5, 1) is None


def test_locate_falls_back_to_a_shallower_grid() -> None:
    sparse = GridIndex(
        [
            node(1, "county", "/1/", box(0, 0, 4, 2)),
            node(2, "A", "/1/2/", box(0, 0, 2, 2)),
            node(3, "a1", "/1/2/3/", box(0, 0, 1, 2)),
            node(4, "no-shape", "/1/2/4/", None),
        ]
    )
    assert located(sparse, 1.5, 1) == "A"
    assert located(sparse, 3, 1) == "county"
    assert located(sparse, 0.5, 1) == "a1"


def test_locate_ignores_overlays() -> None:
    only_overlay = GridIndex([node(1, "ov", "/1/", box(0, 0, 1, 1), kind=GridKind.PARTY)])
    assert located(only_overlay, 0.5, 0.5) is None
