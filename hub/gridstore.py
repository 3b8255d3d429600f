"""Grid tree persistence: create, update, move, delete, GeoJSON import/export."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub import audit, geometry
from hub.audit import Actor
from hub.errors import Conflict, InvalidInput, invalid_from_pydantic
from hub.grid import GridIndex, GridKind, GridNode
from storage.models import Assignment, Device, Grid, OverlayLink

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$"
MAX_COVERS = 100  # grids an overlay covers
MAX_IMPORT_FEATURES = 10_000  # grids per GeoJSON import


class GridSpec(BaseModel):
    """A grid node as written by clients and GeoJSON import (properties + geometry)."""

    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    level: str = Field(min_length=1, max_length=32)
    kind: GridKind = GridKind.BASIC
    parent: str | None = None
    boundary: dict[str, Any] | None = None
    centre: tuple[float, float] | None = None
    covers: list[str] = Field(default_factory=list, max_length=MAX_COVERS)
    properties: dict[str, Any] = Field(default_factory=dict)

    @field_validator("boundary")
    @classmethod
    def _valid_boundary(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            geometry.validate_geometry(value)
        return value

    @field_validator("centre")
    @classmethod
    def _valid_centre(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and not (-180 <= value[0] <= 180 and -90 <= value[1] <= 90):
            raise ValueError("centre must be [lon, lat] in range")
        return value


class GridPatch(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    centre: tuple[float, float] | None = None
    level: str | None = Field(None, min_length=1, max_length=32)
    parent: str | None = None
    move: bool = False
    boundary: dict[str, Any] | None = None
    covers: list[str] | None = Field(None, max_length=MAX_COVERS)
    properties: dict[str, Any] | None = None

    @field_validator("boundary")
    @classmethod
    def _valid_boundary(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            geometry.validate_geometry(value)
        return value


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: int
    updated: int


ChangeHook = Callable[[tuple[int, ...]], Any]


class GridStore:
    """Owns the grid tables and the live `GridIndex` snapshot of this node."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._index = GridIndex(())
        self._lock = asyncio.Lock()
        self.on_change: ChangeHook | None = None

    @property
    def index(self) -> GridIndex:
        return self._index

    async def reload(self) -> GridIndex:
        async with self._lock, self._sessions() as session:
            grids = (await session.scalars(select(Grid))).all()
            links = (
                await session.execute(select(OverlayLink.overlay_id, OverlayLink.grid_id))
            ).all()
            covers: dict[int, set[int]] = {}
            for overlay_id, grid_id in links:
                covers.setdefault(overlay_id, set()).add(grid_id)
            self._index = GridIndex(_node(g, covers.get(g.id, set())) for g in grids)
        return self._index

    async def create(self, spec: GridSpec, actor: Actor) -> GridNode:
        async with self._sessions.begin() as session:
            if await _row_by_code(session, spec.code) is not None:
                raise Conflict("grid.code_taken", f"grid code {spec.code!r} already exists")
            row = await _insert(session, spec)
            audit.record(session, actor, "grid.create", "grid", spec.code, {"name": spec.name})
        return (await self._changed((row.id,))).get(row.id)

    async def update(self, grid_id: int, patch: GridPatch, actor: Actor) -> GridNode:
        async with self._sessions.begin() as session:
            row = await _row(session, grid_id)
            await _apply_patch(session, row, patch)
            changes = patch.model_dump(exclude_unset=True, exclude={"boundary"})
            audit.record(session, actor, "grid.update", "grid", row.code, changes)
        return (await self._changed((grid_id,))).get(grid_id)

    async def delete(self, grid_id: int, actor: Actor) -> None:
        async with self._sessions.begin() as session:
            row = await _row(session, grid_id)
            await _ensure_deletable(session, row)
            await session.execute(delete(OverlayLink).where(OverlayLink.overlay_id == grid_id))
            await session.delete(row)
            audit.record(session, actor, "grid.delete", "grid", row.code, {"name": row.name})
        await self._changed((grid_id,))

    async def import_geojson(self, document: dict[str, Any], actor: Actor) -> ImportResult:
        """Upsert every feature by code, all or nothing; parents may follow children in the file."""
        specs = _parse_features(document)
        created = updated = 0
        async with self._sessions.begin() as session:
            for spec in _parent_first(specs):
                row = await _row_by_code(session, spec.code)
                if row is None:
                    row = await _insert(session, spec, with_covers=False)
                    created += 1
                else:
                    await _apply_patch(session, row, _patch_from(spec))
                    updated += 1
            for spec in specs:
                await _set_covers(session, await _must_code(session, spec.code), spec.covers)
            audit.record(
                session, actor, "grid.import", "grid", "*", {"created": created, "updated": updated}
            )
        await self._changed(())
        return ImportResult(created, updated)

    async def _changed(self, ids: tuple[int, ...]) -> GridIndex:
        index = await self.reload()
        if self.on_change is not None:
            await self.on_change(ids)
        return index


def export_geojson(index: GridIndex, root_id: int | None = None) -> dict[str, Any]:
    """A FeatureCollection of the tree (or a subtree), parents before children."""
    nodes = index.subtree(root_id) if root_id is not None else list(index)
    nodes.sort(key=lambda n: (n.depth, n.code))
    return {"type": "FeatureCollection", "features": [_feature(index, n) for n in nodes]}


def _feature(index: GridIndex, node: GridNode) -> dict[str, Any]:
    props: dict[str, Any] = {
        **node.properties,
        "code": node.code,
        "name": node.name,
        "level": node.level,
        "kind": node.kind.value,
        "parent": index.get(node.parent_id).code if node.parent_id else None,
        "centre": list(node.centre) if node.centre else None,
    }
    if node.covers:
        props["covers"] = sorted(index.get(c).code for c in node.covers)
    return {"type": "Feature", "geometry": node.boundary, "properties": props}


SPEC_KEYS = {"code", "name", "level", "kind", "parent", "centre", "covers"}


def _parse_features(document: dict[str, Any]) -> list[GridSpec]:
    if document.get("type") != "FeatureCollection" or not isinstance(
        document.get("features"), list
    ):
        raise InvalidInput("grid.import_invalid", "expected a GeoJSON FeatureCollection")
    if len(document["features"]) > MAX_IMPORT_FEATURES:
        raise InvalidInput(
            "grid.import_too_large", f"import at most {MAX_IMPORT_FEATURES} grids at a time"
        )
    specs: list[GridSpec] = []
    for number, feature in enumerate(document["features"]):
        specs.append(_spec_of(number, feature))
    codes = [s.code for s in specs]
    if len(set(codes)) != len(codes):
        raise InvalidInput("grid.import_invalid", "a grid code appears twice in the file")
    return specs


def _spec_of(number: int, feature: Any) -> GridSpec:
    if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
        raise InvalidInput("grid.import_invalid", f"feature {number} has no properties")
    props = feature["properties"]
    fields = {k: v for k, v in props.items() if k in SPEC_KEYS and v is not None}
    extra = {k: v for k, v in props.items() if k not in SPEC_KEYS}
    try:
        return GridSpec(**fields, boundary=feature.get("geometry"), properties=extra)
    except ValidationError as exc:
        error = invalid_from_pydantic(exc, "grid.import_invalid")
        error.message = f"feature {number}: {error.message}"
        raise error from None
    except InvalidInput as exc:
        exc.message = f"feature {number}: {exc.message}"
        raise


def _parent_first(specs: list[GridSpec]) -> list[GridSpec]:
    by_code = {s.code: s for s in specs}
    ordered: list[GridSpec] = []
    state: dict[str, Literal["doing", "done"]] = {}

    def visit(spec: GridSpec) -> None:
        if state.get(spec.code) == "done":
            return
        if state.get(spec.code) == "doing":
            raise InvalidInput("grid.import_invalid", f"parent cycle at {spec.code!r}")
        state[spec.code] = "doing"
        if spec.parent in by_code:
            visit(by_code[spec.parent])
        state[spec.code] = "done"
        ordered.append(spec)

    for spec in specs:
        visit(spec)
    return ordered


def _patch_from(spec: GridSpec) -> GridPatch:
    return GridPatch(
        name=spec.name,
        level=spec.level,
        parent=spec.parent,
        move=True,
        boundary=spec.boundary,
        centre=spec.centre,
        properties=spec.properties,
    )


async def _insert(session: AsyncSession, spec: GridSpec, *, with_covers: bool = True) -> Grid:
    parent = await _must_code(session, spec.parent) if spec.parent else None
    row = Grid(
        code=spec.code,
        name=spec.name,
        level=spec.level,
        kind=spec.kind.value,
        parent_id=parent.id if parent else None,
        path="/",
        boundary=spec.boundary,
        properties=spec.properties,
    )
    _set_centre(row, spec.centre)
    session.add(row)
    await session.flush()
    row.path = f"{parent.path if parent else '/'}{row.id}/"
    if with_covers:
        await _set_covers(session, row, spec.covers)
    return row


async def _apply_patch(session: AsyncSession, row: Grid, patch: GridPatch) -> None:
    fields = patch.model_fields_set
    for name in ("name", "level", "properties"):
        if name in fields and getattr(patch, name) is not None:
            setattr(row, name, getattr(patch, name))
    if "boundary" in fields:
        row.boundary = patch.boundary
    if "boundary" in fields or "centre" in fields:
        _set_centre(row, patch.centre)
    if "parent" in fields and (patch.move or patch.parent is not None):
        await _move(session, row, patch.parent)
    if patch.covers is not None:
        await _set_covers(session, row, patch.covers)


def _set_centre(row: Grid, centre: tuple[float, float] | None) -> None:
    if centre is None and row.boundary:
        centre = geometry.centroid(row.boundary)
    row.centre_lon = centre[0] if centre else None
    row.centre_lat = centre[1] if centre else None


async def _move(session: AsyncSession, row: Grid, parent_code: str | None) -> None:
    parent = await _must_code(session, parent_code) if parent_code else None
    if (parent.id if parent else None) == row.parent_id:
        return
    if parent is not None and parent.path.startswith(row.path):
        raise Conflict("grid.move_cycle", "a grid cannot move under its own subtree")
    old_prefix = row.path
    new_prefix = f"{parent.path if parent else '/'}{row.id}/"
    row.parent_id = parent.id if parent else None
    await session.flush()
    await session.execute(
        update(Grid)
        .where(Grid.path.startswith(old_prefix))
        .values(path=new_prefix + func.substr(Grid.path, len(old_prefix) + 1))
        .execution_options(synchronize_session=False)
    )
    await session.refresh(row)


async def _set_covers(session: AsyncSession, row: Grid, codes: Iterable[str]) -> None:
    codes = list(codes)
    if codes and row.kind == GridKind.BASIC.value:
        raise InvalidInput("grid.covers_invalid", "only overlay grids can cover other grids")
    await session.execute(delete(OverlayLink).where(OverlayLink.overlay_id == row.id))
    for code in codes:
        target = await _must_code(session, code)
        if target.kind != GridKind.BASIC.value:
            raise InvalidInput("grid.covers_invalid", f"{code!r} is not a basic grid")
        session.add(OverlayLink(overlay_id=row.id, grid_id=target.id))


async def _ensure_deletable(session: AsyncSession, row: Grid) -> None:
    checks = {
        "it has child grids": select(func.count()).where(Grid.parent_id == row.id),
        "people are assigned to it": select(func.count()).where(Assignment.grid_id == row.id),
        "devices are placed in it": select(func.count()).where(Device.grid_id == row.id),
    }
    for reason, stmt in checks.items():
        if (await session.scalar(stmt)) or 0:
            raise Conflict("grid.in_use", f"grid {row.code!r} cannot be deleted: {reason}")


async def _row(session: AsyncSession, grid_id: int) -> Grid:
    row = await session.get(Grid, grid_id)
    if row is None:
        raise InvalidInput("grid.not_found", f"grid {grid_id} does not exist", status=404)
    return row


async def _row_by_code(session: AsyncSession, code: str) -> Grid | None:
    return (await session.scalars(select(Grid).where(Grid.code == code))).first()


async def _must_code(session: AsyncSession, code: str | None) -> Grid:
    row = await _row_by_code(session, code or "")
    if row is None:
        raise InvalidInput("grid.parent_unknown", f"grid {code!r} does not exist")
    return row


def _node(row: Grid, covers: set[int]) -> GridNode:
    centre = (row.centre_lon, row.centre_lat) if row.centre_lon is not None else None
    return GridNode(
        id=row.id,
        code=row.code,
        name=row.name,
        level=row.level,
        kind=GridKind(row.kind),
        parent_id=row.parent_id,
        path=row.path,
        centre=centre,  # type: ignore[arg-type]
        boundary=row.boundary,
        properties=dict(row.properties or {}),
        covers=frozenset(covers),
    )
