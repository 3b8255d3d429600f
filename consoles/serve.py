"""Serving the built web consoles: /console, /field, /report and their assets under /ui/.

The pages are built by Vite into consoles/web/dist (scripts/setup runs `npm ci` and
`npm run build`). Hashed assets are cached for a year; the HTML pages are revalidated on every
load so a new build is picked up at once. A hub whose consoles were never built still runs:
the pages answer 503 with a page (or JSON) telling the operator to run scripts/setup.
Every page gets the strict Content-Security-Policy of hub/headers.py (no inline style, and no
inline script but the page's import map, allowed by its SHA-256: the map sends plugin bundles'
bare `vue`, `element-plus`, `@gridhub/host`, ... imports to the facades under /ui/host/).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable
from functools import lru_cache
from pathlib import Path

from aiohttp import web
from pydantic import BaseModel, Field

from consoles import maptiles
from consoles.maptiles import MapTiles
from hub import headers, policy
from hub.errors import HubError
from hub.keys import SETTINGS
from hub.web import Call, Router

DIST = Path(__file__).resolve().parent / "web" / "dist"
PAGES = ("console", "field", "report")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
DIST_DIR: web.AppKey[Path] = web.AppKey("consoles_dist", Path)
IMPORT_MAP = re.compile(rb'<script type="importmap">(.*?)</script>', re.DOTALL)

NOT_BUILT_HTML = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>GridHub: consoles not built</title>
</head>
<body><h1>控制台尚未构建 / The web consoles are not built</h1>
<p>The hub cannot find <code>{dist}</code>.</p>
<p>Run <code>scripts/setup</code> (or <code>npm --prefix consoles/web ci &amp;&amp;
npm --prefix consoles/web run build</code>) and reload this page.</p></body></html>
"""


class UiConfig(BaseModel):
    """What the browser pages need to know about this deployment before signing in."""

    tile_url: str | None = Field(
        description="Leaflet URL template of the base map's tiles (`tiles.url` when the hub "
        "serves them), or null: no base map"
    )
    tiles: MapTiles | None = Field(
        None, description="the hub's own base map (the map_tiles setting), or null"
    )
    pages: list[str]
    time_zone: str = Field(description="IANA zone every time on the pages is shown in")


def not_built(dist: Path) -> HubError:
    return HubError(
        "consoles.not_built",
        f"the web consoles are not built ({dist} is missing): run scripts/setup",
        status=503,
    )


def mount(app: web.Application, dist: Path = DIST) -> None:
    """Add the console routes: `/` redirects to /console; /ui/ serves the build."""
    app[DIST_DIR] = dist
    app.router.add_get("/", _home)
    for page in PAGES:
        app.router.add_get(f"/{page}", _page(page))
        app.router.add_get(f"/{page}/{{tail:.*}}", _page(page))
    app.router.add_get("/ui/{path:.*}", _asset)
    app.router.add_get("/favicon.ico", _favicon)
    config_router().mount(app)


def config_router() -> Router:
    router = Router("/api/v1/ui", "ui")

    # Public: the pages ask for their settings before anyone has signed in.
    @router.get(
        "/config",
        summary="Runtime settings of the web consoles",
        response=UiConfig,
        rule=policy.public("ui.config"),
    )
    async def config(call: Call[None, None]) -> UiConfig:
        settings = call.request.app[SETTINGS]
        tiles = maptiles.described(call.request.app)
        return UiConfig(
            tile_url=tiles.url if tiles else settings.map_tile_url,
            tiles=tiles,
            pages=list(PAGES),
            time_zone=settings.time_zone,
        )

    return router


async def _home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/console")


def _page(page: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        dist = request.app[DIST_DIR]
        html = dist / f"{page}.html"
        if not html.is_file():
            return web.Response(
                text=NOT_BUILT_HTML.format(dist=dist),
                status=503,
                content_type="text/html",
                headers={"Cache-Control": REVALIDATE},
            )
        stat = html.stat()
        inline = inline_script_hashes(html, stat.st_mtime_ns, stat.st_size)
        page_headers = {"Cache-Control": REVALIDATE, **headers.as_page(request, inline)}
        return web.FileResponse(html, headers=page_headers)

    return handle


@lru_cache(maxsize=8)
def inline_script_hashes(html: Path, mtime_ns: int, size: int) -> tuple[str, ...]:
    """Base64 SHA-256 of each import map in a built page, for its policy (read again when
    the build changes: the arguments after the path are the file's time and size)."""
    found = IMPORT_MAP.findall(html.read_bytes())
    return tuple(base64.b64encode(hashlib.sha256(text).digest()).decode() for text in found)


async def _asset(request: web.Request) -> web.StreamResponse:
    dist = request.app[DIST_DIR]
    if not dist.is_dir():
        raise not_built(dist)
    relative = request.match_info["path"]
    target = (dist / relative).resolve()
    if not target.is_relative_to(dist.resolve()) or not target.is_file():
        raise HubError("http.not_found", "not found", status=404)
    cache = IMMUTABLE if relative.startswith("assets/") else REVALIDATE
    return web.FileResponse(target, headers={"Cache-Control": cache})


async def _favicon(request: web.Request) -> web.StreamResponse:
    icon = request.app[DIST_DIR] / "favicon.svg"
    if not icon.is_file():
        raise HubError("http.not_found", "not found", status=404)
    return web.FileResponse(
        icon, headers={"Cache-Control": "public, max-age=86400", "Content-Type": "image/svg+xml"}
    )
