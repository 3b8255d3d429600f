"""/api/v1/grids: the grid tree within the caller's scope; admin edits and GeoJSON import."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from hub import policy
from hub.access import Principal, in_scope, require_scope
from hub.audit import Actor
from hub.decoding import parse_json_body
from hub.errors import InvalidInput, NotFound
from hub.grid import GridIndex, GridNode
from hub.gridstore import GridPatch, GridSpec, export_geojson
from hub.keys import GRIDS
from hub.web import Call, Router

GRIDS_LIST = policy.signed_in("grids.list", policy.Scope.LISTED)
GRID_LOCATE = policy.signed_in("grids.locate", policy.Scope.NONE)
GRID_READ = policy.signed_in("grids.read", policy.Scope.GRID)
GRIDS_EDIT = policy.admin_only("grids.edit")


class GridOut(BaseModel):
    id: int
    code: str
    name: str
    level: str
    kind: str
    parent_id: int | None
    depth: int
    centre: tuple[float, float] | None
    covers: list[int]
    in_scope: bool = True
    properties: dict[str, Any] = Field(default_factory=dict)
    boundary: dict[str, Any] | None = None


class GridListQuery(BaseModel):
    root: str | None = Field(None, description="grid code to start from")
    geometry: bool = False


class LocateQuery(BaseModel):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class ImportOut(BaseModel):
    created: int
    updated: int


def grid_out(node: GridNode, *, in_scope: bool = True, geometry: bool = True) -> GridOut:
    return GridOut(
        id=node.id,
        code=node.code,
        name=node.name,
        level=node.level,
        kind=node.kind.value,
        parent_id=node.parent_id,
        depth=node.depth,
        centre=node.centre,
        covers=sorted(node.covers),
        in_scope=in_scope,
        properties=node.properties,
        boundary=node.boundary if geometry else None,
    )


def visible(who: Principal, index: GridIndex) -> tuple[set[int], set[int]]:
    """(grids in scope, ancestors shown only for context)."""
    if who.is_admin:
        return {n.id for n in index}, set()
    scoped = index.scope_ids(who.grid_ids())
    context = {a.id for g in scoped for a in index.ancestors(g)} - scoped
    return scoped, context


def build_router() -> Router:
    router = Router("/api/v1/grids", "grids")

    @router.get(
        "",
        summary="Grid nodes in your scope (ancestors flagged in_scope=false)",
        query=GridListQuery,
        response=list[GridOut],
        rule=GRIDS_LIST,
    )
    async def list_grids(call: Call[None, GridListQuery]) -> list[GridOut]:
        index = call.request.app[GRIDS].index
        scoped, context = visible(call.who, index)
        if call.query.root is not None:
            root = index.by_code(call.query.root)
            require_scope(call.who, index, root.id)
            scoped &= {n.id for n in index.subtree(root.id)}
            context = set()
        nodes = sorted((index.get(i) for i in scoped | context), key=lambda n: (n.depth, n.code))
        return [grid_out(n, in_scope=n.id in scoped, geometry=call.query.geometry) for n in nodes]

    @router.get(
        "/locate",
        summary="The basic grid containing a point",
        query=LocateQuery,
        response=GridOut,
        rule=GRID_LOCATE,
    )
    async def locate(call: Call[None, LocateQuery]) -> GridOut:
        node = call.request.app[GRIDS].index.locate(call.query.lon, call.query.lat)
        if node is None:
            raise NotFound("grid.not_located", "no grid contains that point")
        return grid_out(node, geometry=False)

    @router.get(
        "/export.geojson",
        summary="Your grids as a GeoJSON FeatureCollection",
        query=GridListQuery,
        rule=GRIDS_LIST,
        response=dict[str, Any],
    )
    async def export(call: Call[None, GridListQuery]) -> dict[str, Any]:
        index = call.request.app[GRIDS].index
        if call.query.root is not None:
            root = index.by_code(call.query.root)
            require_scope(call.who, index, root.id)
            return export_geojson(index, root.id)
        if call.who.is_admin:
            return export_geojson(index)
        scoped, _context = visible(call.who, index)
        every = export_geojson(index)["features"]
        return {
            "type": "FeatureCollection",
            "features": [f for f in every if index.by_code(f["properties"]["code"]).id in scoped],
        }

    @router.get(
        "/{grid_id}", summary="One grid with its boundary", response=GridOut, rule=GRID_READ
    )
    async def get_grid(call: Call[None, None]) -> GridOut:
        index = call.request.app[GRIDS].index
        node = index.get(call.path_int("grid_id"))
        scoped = in_scope(call.who, index, node.id)
        if not scoped and node.id not in visible(call.who, index)[1]:
            require_scope(call.who, index, node.id)
        return grid_out(node, in_scope=scoped)

    @router.post(
        "",
        summary="Create a grid (admin)",
        body=GridSpec,
        response=GridOut,
        status=201,
        rule=GRIDS_EDIT,
    )
    async def create(call: Call[GridSpec, None]) -> GridOut:
        node = await call.request.app[GRIDS].create(call.body, Actor.of(call.who))
        return grid_out(node)

    @router.patch(
        "/{grid_id}",
        summary="Edit or move a grid (admin)",
        body=GridPatch,
        response=GridOut,
        rule=GRIDS_EDIT,
    )
    async def edit(call: Call[GridPatch, None]) -> GridOut:
        store = call.request.app[GRIDS]
        node = await store.update(call.path_int("grid_id"), call.body, Actor.of(call.who))
        return grid_out(node)

    @router.delete(
        "/{grid_id}", summary="Delete an unused leaf grid (admin)", status=204, rule=GRIDS_EDIT
    )
    async def remove(call: Call[None, None]) -> None:
        await call.request.app[GRIDS].delete(call.path_int("grid_id"), Actor.of(call.who))

    @router.post(
        "/import",
        summary="Upsert grids from a GeoJSON FeatureCollection (admin)",
        response=ImportOut,
        raw_body="application/geo+json",
        rule=GRIDS_EDIT,
    )
    async def import_grids(call: Call[None, None]) -> ImportOut:
        document = await _json_object(call)
        result = await call.request.app[GRIDS].import_geojson(document, Actor.of(call.who))
        return ImportOut(created=result.created, updated=result.updated)

    return router


async def _json_object(call: Call[Any, Any]) -> dict[str, Any]:
    document = parse_json_body(await call.request.read())  # hub.decoding's limits
    if not isinstance(document, dict):
        raise InvalidInput("grid.import_invalid", "expected a GeoJSON FeatureCollection")
    return document
