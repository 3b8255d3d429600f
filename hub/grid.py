"""The grid tree (网格): an in-memory index for fast scope and location queries."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hub import geometry
from hub.errors import NotFound


class GridKind(StrEnum):
    BASIC = "basic"
    PARTY = "party"
    PROFESSIONAL = "professional"


@dataclass(frozen=True, slots=True)
class GridNode:
    id: int
    code: str
    name: str
    level: str
    kind: GridKind
    parent_id: int | None
    path: str
    centre: tuple[float, float] | None  # (lon, lat)
    boundary: dict[str, Any] | None
    properties: dict[str, Any] = field(default_factory=dict)
    covers: frozenset[int] = frozenset()

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    @property
    def is_overlay(self) -> bool:
        return self.kind is not GridKind.BASIC


class GridIndex:
    """Immutable snapshot of the tree; rebuilt whenever the tree changes."""

    def __init__(self, nodes: Iterable[GridNode]) -> None:
        self._nodes = {n.id: n for n in nodes}
        self._by_code = {n.code: n for n in self._nodes.values()}
        self._children: dict[int | None, list[int]] = {}
        for node in sorted(self._nodes.values(), key=lambda n: (n.name, n.id)):
            self._children.setdefault(node.parent_id, []).append(node.id)
        self._boxes = {n.id: geometry.bbox(n.boundary) for n in self._nodes.values() if n.boundary}
        self._covering: dict[int, tuple[int, ...]] = {}

    def __len__(self) -> int:
        return len(self._nodes)

    def __iter__(self) -> Iterator[GridNode]:
        return iter(self._nodes.values())

    def __contains__(self, grid_id: object) -> bool:
        return grid_id in self._nodes

    def get(self, grid_id: int) -> GridNode:
        try:
            return self._nodes[grid_id]
        except KeyError:
            raise NotFound("grid.not_found", f"grid {grid_id} does not exist") from None

    def by_code(self, code: str) -> GridNode:
        try:
            return self._by_code[code]
        except KeyError:
            raise NotFound("grid.not_found", f"grid {code!r} does not exist") from None

    def find_code(self, code: str) -> GridNode | None:
        return self._by_code.get(code)

    def roots(self) -> list[GridNode]:
        return [self._nodes[i] for i in self._children.get(None, [])]

    def children(self, grid_id: int) -> list[GridNode]:
        return [self._nodes[i] for i in self._children.get(grid_id, [])]

    def ancestors(self, grid_id: int) -> list[GridNode]:
        """From the root down to the parent of `grid_id`."""
        ids = [int(p) for p in self.get(grid_id).path.strip("/").split("/")[:-1]]
        return [self._nodes[i] for i in ids]

    def enclosing(self, grid_id: int, level: str) -> GridNode | None:
        """The node of `level` that `grid_id` lies in (itself if it is one), e.g. its village;
        None for an unknown grid or one above that level."""
        if grid_id not in self._nodes:
            return None
        for node in [self._nodes[grid_id], *reversed(self.ancestors(grid_id))]:
            if node.level == level:
                return node
        return None

    def is_within(self, grid_id: int, root_id: int) -> bool:
        """True when `grid_id` is `root_id` or below it in the tree."""
        node, root = self._nodes.get(grid_id), self._nodes.get(root_id)
        return node is not None and root is not None and node.path.startswith(root.path)

    def covers(self, root_id: int, grid_id: int) -> bool:
        """Scope test: the subtree of `root_id` plus, for overlays, what they cover."""
        if self.is_within(grid_id, root_id):
            return True
        root = self._nodes.get(root_id)
        return root is not None and any(self.is_within(grid_id, c) for c in root.covers)

    def subtree(self, root_id: int) -> list[GridNode]:
        root = self.get(root_id)
        return [n for n in self._nodes.values() if n.path.startswith(root.path)]

    def scope_ids(self, roots: Iterable[int]) -> set[int]:
        """Every grid id covered by any of `roots` (subtrees and overlay coverage)."""
        out: set[int] = set()
        for root_id in roots:
            if root_id not in self._nodes:
                continue
            out.update(n.id for n in self.subtree(root_id))
            for covered in self._nodes[root_id].covers:
                out.update(n.id for n in self.subtree(covered))
        return out

    def covering_ids(self, grid_id: int) -> tuple[int, ...]:
        """The grid, its ancestors and the overlays covering any of them (memoised: the index
        never changes, and alarms and incidents ask for the same grids again and again)."""
        found = self._covering.get(grid_id)
        if found is None:
            chain = [*self.ancestors(grid_id), self.get(grid_id), *self.overlays_covering(grid_id)]
            found = self._covering[grid_id] = tuple(dict.fromkeys(n.id for n in chain))
        return found

    def overlays_covering(self, grid_id: int) -> list[GridNode]:
        chain = {a.id for a in self.ancestors(grid_id)} | {grid_id}
        return [n for n in self._nodes.values() if n.covers & chain]

    def locate(self, lon: float, lat: float) -> GridNode | None:
        """The deepest basic grid whose boundary contains the point."""
        best: GridNode | None = None
        for grid_id, box in self._boxes.items():
            node = self._nodes[grid_id]
            if node.is_overlay or not box.contains(lon, lat):
                continue
            deeper = best is None or node.depth > best.depth
            if deeper and node.boundary and geometry.contains(node.boundary, lon, lat):
                best = node
        return best
