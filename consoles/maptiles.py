"""The console's offline base map: tiles of a local MBTiles package, served by the hub.

An intranet hub has no tile server to point `map_tile_url` at, so `map_tiles` names an
MBTiles file (SQLite, raster PNG/JPEG/WebP tiles; `gridhub demo` draws one of its county,
hub/basemap.py) and the hub answers `GET /api/v1/map/tiles/{z}/{x}/{y}` from it. The package
is opened read-only once at start-up (a missing or unusable file stops start-up with the
reason); /api/v1/ui/config then tells the console the tile URL, bounds and zooms.

Tiles are public, like any tile server's: a browser's <img> sends no bearer token, and a base
map of roads and villages is not personal data. Caching: the URL the console is given carries
`?v=<version of the package file>` and is cached for a year; any other request is answered
with the tile's ETag and revalidated (304 when unchanged). Each tile is answered whole (a
few kB), so there are no ranges: `Accept-Ranges: none`.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import aiosqlite
from aiohttp import web
from pydantic import BaseModel

from hub import policy
from hub.errors import HubError, InvalidInput
from hub.keys import SETTINGS
from hub.web import Call, Router

TILE_PATH = "/api/v1/map/tiles/{z}/{x}/{y}"
MAX_ZOOM = 24
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
CONTENT_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
}


class TilePackageError(RuntimeError):
    """The `map_tiles` file is missing or is not a raster MBTiles package."""


class MapTiles(BaseModel):
    """The base map the console draws under its layers."""

    url: str  # a Leaflet URL template, {z}/{x}/{y}
    bounds: list[float] | None  # [west, south, east, north]; no tile is asked outside
    min_zoom: int
    max_zoom: int
    attribution: str


@dataclass
class TilePackage:
    path: Path
    db: aiosqlite.Connection
    content_type: str
    version: str  # of the file: changes when the operator replaces it
    bounds: list[float] | None
    min_zoom: int
    max_zoom: int
    attribution: str

    def described(self) -> MapTiles:
        url = f"{TILE_PATH}?v={self.version}"
        return MapTiles(
            url=url,
            bounds=self.bounds,
            min_zoom=self.min_zoom,
            max_zoom=self.max_zoom,
            attribution=self.attribution,
        )

    async def tile(self, z: int, x: int, y: int) -> bytes | None:
        row = (1 << z) - 1 - y  # MBTiles numbers rows from the south (TMS)
        query = "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?"
        async with self.db.execute(query, (z, x, row)) as cursor:
            found = await cursor.fetchone()
        return bytes(found[0]) if found else None


PACKAGE: web.AppKey[TilePackage | None] = web.AppKey("map_tile_package")


async def open_package(path: Path) -> TilePackage:
    """Open an MBTiles file read-only and read its metadata."""
    db = await aiosqlite.connect(_read_only_uri(path), uri=True)
    try:
        meta = await _metadata(db)
        return _package(path, db, meta)
    except (TilePackageError, aiosqlite.Error) as exc:
        await db.close()
        raise TilePackageError(f"map_tiles: {path} is not a raster MBTiles package: {exc}") from exc


def _read_only_uri(path: Path) -> str:
    """SQLite's URI of `path`, read-only (start-up only: a blocking look at the file is fine)."""
    if not path.is_file():
        raise TilePackageError(f"map_tiles: no such file {path}")
    return f"file:{quote(str(path.resolve()))}?mode=ro"


async def _metadata(db: aiosqlite.Connection) -> dict[str, str]:
    async with db.execute("SELECT name, value FROM metadata") as cursor:
        rows = await cursor.fetchall()
    async with db.execute("SELECT 1 FROM tiles LIMIT 1"):
        pass  # the table must be there
    return {str(name): str(value) for name, value in rows}


def _package(path: Path, db: aiosqlite.Connection, meta: dict[str, str]) -> TilePackage:
    kind = meta.get("format", "png").lower()
    if kind not in CONTENT_TYPES:
        # vector tiles (pbf) need a vector renderer the console does not have
        raise TilePackageError(f"tile format {kind!r} (raster png, jpg or webp only)")
    stat = path.stat()
    version = hashlib.sha256(f"{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:12]
    return TilePackage(
        path=path,
        db=db,
        content_type=CONTENT_TYPES[kind],
        version=version,
        bounds=_bounds(meta.get("bounds")),
        min_zoom=_zoom(meta.get("minzoom"), 0),
        max_zoom=_zoom(meta.get("maxzoom"), 18),
        attribution=meta.get("attribution", ""),
    )


def _bounds(text: str | None) -> list[float] | None:
    try:
        values = [float(v) for v in (text or "").split(",")]
    except ValueError:
        return None
    return values if len(values) == 4 else None


def _zoom(text: str | None, default: int) -> int:
    try:
        return max(0, min(MAX_ZOOM, int(text or default)))
    except ValueError:
        return default


async def _package_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    path = settings.map_tiles
    if path is not None and settings.map_tile_url:
        raise TilePackageError("set map_tile_url (a tile server) or map_tiles (a file), not both")
    app[PACKAGE] = await open_package(path) if path is not None else None
    yield
    package = app[PACKAGE]
    if package is not None:
        await package.db.close()


def described(app: web.Application) -> MapTiles | None:
    """The base map for /api/v1/ui/config; None when no package is configured."""
    package = app.get(PACKAGE)
    return package.described() if package is not None else None


def mount(app: web.Application) -> None:
    app.cleanup_ctx.append(_package_context)
    build_router().mount(app)


def build_router() -> Router:
    router = Router("/api/v1/map", "ui")

    @router.get(
        "/tiles/{z}/{x}/{y}",
        summary="A tile of the offline base map (the `map_tiles` MBTiles package)",
        rule=policy.public("map.tile"),
        produces="image/png, image/jpeg, image/webp",
    )
    async def tile(call: Call[None, None]) -> web.StreamResponse:
        package = call.request.app[PACKAGE]
        if package is None:
            raise HubError("map.no_tiles", "this hub serves no base map", status=404)
        z, x, y = _coordinates(call.params["z"], call.params["x"], call.params["y"])
        data = await package.tile(z, x, y)
        if data is None:
            raise HubError("map.tile_not_found", f"no tile {z}/{x}/{y}", status=404)
        return _answer(call.request, package, data)

    return router


def _coordinates(z_text: str, x_text: str, y_text: str) -> tuple[int, int, int]:
    """z, x and y as numbers on the tile grid of zoom z; anything else is refused."""
    texts = (z_text, x_text, y_text)
    if not all(t.isascii() and t.isdigit() and len(t) <= 8 for t in texts):
        raise InvalidInput("map.bad_tile", "z, x and y must be whole numbers", status=400)
    z, x, y = (int(t) for t in texts)
    if z > MAX_ZOOM or x >= 1 << z or y >= 1 << z:
        raise InvalidInput(
            "map.bad_tile",
            f"no tile {z}/{x}/{y}: x and y are below 2^z, z at most {MAX_ZOOM}",
            status=400,
        )
    return z, x, y


def _answer(request: web.Request, package: TilePackage, data: bytes) -> web.StreamResponse:
    etag = hashlib.sha256(data).hexdigest()[:20]
    current = request.query.get("v") == package.version
    headers = {
        "Cache-Control": IMMUTABLE if current else REVALIDATE,
        "ETag": f'"{etag}"',
        "Accept-Ranges": "none",
    }
    if _matches(request.headers.get("If-None-Match", ""), etag):
        return web.Response(status=304, headers=headers)
    return web.Response(body=data, headers={**headers, "Content-Type": package.content_type})


def _matches(header: str, etag: str) -> bool:
    """If-None-Match holds this tile's ETag (weak comparison, as RFC 9110 asks) or `*`."""
    tags = {t.strip().removeprefix("W/").strip('"') for t in header.split(",")}
    return etag in tags or "*" in tags
