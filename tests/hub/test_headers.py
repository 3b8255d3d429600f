"""Security headers (hub/headers.py) on every response of the assembled hub: pages, assets, API
answers, errors, redirects; the pages' Content-Security-Policy and its map-tile allowance."""

from __future__ import annotations

import base64
import hashlib
import ssl
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import make_mocked_request

from hub import headers
from hub.app import build_app
from hub.keys import SETTINGS
from tests.hub.conftest import AiohttpClient, Client, make_settings

PAGE = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# The one inline script a page has: its import map (consoles/web/importmap.json, byte for byte).
IMPORT_MAP = (Path(__file__).parents[2] / "consoles/web/importmap.json").read_text().strip()
MAP_HASH = base64.b64encode(hashlib.sha256(IMPORT_MAP.encode()).digest()).decode()
BUILT_PAGE = PAGE.replace("script-src 'self'", f"script-src 'self' 'sha256-{MAP_HASH}'")
NOTHING = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


async def hub_client(tmp_path: Path, aiohttp_client: AiohttpClient, **settings: Any) -> Client:
    app = build_app(make_settings(tmp_path, **settings), available_plugins={})
    return await aiohttp_client(app)


def assert_common(response: ClientResponse, what: str) -> None:
    got = response.headers
    for name, value in headers.COMMON.items():
        assert got.get(name) == value, f"{what}: {name}"
    assert "Strict-Transport-Security" not in got, f"{what}: HSTS over plain http"
    assert "camera=(self)" in got["Permissions-Policy"]
    assert got["X-Frame-Options"] == "DENY"
    assert got["X-Content-Type-Options"] == "nosniff"


async def test_every_kind_of_response_carries_the_headers(
    tmp_path: Path, aiohttp_client: AiohttpClient
) -> None:
    client = await hub_client(tmp_path, aiohttp_client)
    answers = {
        "page": await client.get("/console"),  # 200, or 503 where the consoles are not built
        "redirect": await client.get("/", allow_redirects=False),
        "api": await client.get("/api/v1/ui/config"),
        "refused": await client.get("/api/v1/auth/me"),
        "missing": await client.get("/no/such/thing"),
        "bad body": await client.post("/api/v1/auth/login", data=b"{not json"),
    }
    assert answers["redirect"].status == 302
    assert answers["refused"].status == 401
    assert answers["missing"].status == 404
    assert answers["bad body"].status >= 400
    for what, response in answers.items():
        assert_common(response, what)
    assert answers["page"].content_type == "text/html"
    built = answers["page"].status == 200
    assert answers["page"].headers["Content-Security-Policy"] == (BUILT_PAGE if built else PAGE)
    for what in ("redirect", "api", "refused", "missing", "bad body"):
        assert answers[what].headers["Content-Security-Policy"] == NOTHING, what


async def test_a_revalidated_page_keeps_its_policy(
    tmp_path: Path, aiohttp_client: AiohttpClient
) -> None:
    """A browser takes a 304's headers for the page it keeps: the 304 has the page policy."""
    client = await hub_client(tmp_path, aiohttp_client)
    first = await client.get("/console")
    if first.status == 503:
        pytest.skip("the consoles are not built")  # the 503 page is not cached
    modified = first.headers["Last-Modified"]
    again = await client.get("/console", headers={"If-Modified-Since": modified})
    assert again.status == 304
    assert again.headers["Content-Security-Policy"] == BUILT_PAGE
    assert_common(again, "304")


async def test_the_page_policy_has_no_inline_script_or_style(
    tmp_path: Path, aiohttp_client: AiohttpClient
) -> None:
    client = await hub_client(tmp_path, aiohttp_client)
    page = await client.get("/field")
    policy = page.headers["Content-Security-Policy"]
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    if page.status == 200:  # built: the import map, and nothing else inline, may run
        assert f'<script type="importmap">{IMPORT_MAP}</script>' in await page.text()
        assert directives["script-src"] == f"'self' 'sha256-{MAP_HASH}'"
    else:
        assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "unsafe" not in policy
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"


async def test_tiles_of_the_configured_server_may_load(
    tmp_path: Path, aiohttp_client: AiohttpClient
) -> None:
    tiles = "http://tiles.intranet:8081/{z}/{x}/{y}.png"
    client = await hub_client(tmp_path, aiohttp_client, map_tile_url=tiles)
    policy = (await client.get("/report")).headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob: http://tiles.intranet:8081;" in policy


def test_tile_origins() -> None:
    assert headers.tile_origin(None) is None
    assert headers.tile_origin("/tiles/{z}/{x}/{y}.png") is None  # the hub itself: 'self'
    assert headers.tile_origin("https://{s}.tile.lan/{z}/{x}/{y}.png") == "https://*.tile.lan"
    assert headers.tile_origin("http://user:pw@10.0.0.5:81/{z}") == "http://10.0.0.5:81"
    assert headers.tile_origin("http://[fd00::1]:81/{z}") == "http://[fd00::1]:81"
    # Nothing but an origin gets into the policy: no extra directive, no other scheme.
    assert headers.tile_origin("http://x;script-src *;/{z}") is None
    assert headers.tile_origin("http://a b/{z}") is None
    assert headers.tile_origin("javascript://x/{z}") is None
    assert headers.tile_origin("data:image/png,x") is None


async def test_hsts_only_over_https(tmp_path: Path) -> None:
    app = web.Application()
    app[SETTINGS] = make_settings(tmp_path)
    headers.install(app)
    app.freeze()
    for secure in (True, False):
        context = ssl.create_default_context() if secure else None
        request = make_mocked_request("GET", "/api/v1/x", app=app, sslcontext=context)
        response = web.json_response({})
        await app.on_response_prepare.send(request, response)
        assert ("Strict-Transport-Security" in response.headers) is secure
        assert response.headers["X-Content-Type-Options"] == "nosniff"
