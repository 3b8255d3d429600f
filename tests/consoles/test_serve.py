"""The hub serves the built consoles: pages, cached assets, config, and a clear 503 unbuilt."""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

from consoles import serve
from hub.keys import SETTINGS
from hub.web import ENDPOINTS, request_context
from tests.consoles.conftest import ConsoleHub
from tests.hub.conftest import AiohttpClient, make_settings


async def test_pages_and_assets(console_hub: ConsoleHub) -> None:
    client = console_hub.client
    home = await client.get("/", allow_redirects=False)
    assert home.status == 302
    assert home.headers["Location"] == "/console"
    for path in ("/console", "/console/screen", "/field", "/field/tasks/3", "/report"):
        page = await client.get(path)
        assert page.status == 200, path
        assert page.headers["Cache-Control"] == "no-cache"
        html = await page.text()
        assert "/ui/assets/" in html
    html = await (await client.get("/console")).text()
    asset = re.search(r'src="(/ui/assets/[^"]+\.js)"', html)
    assert asset is not None
    script = await client.get(asset.group(1))
    assert script.status == 200
    assert "immutable" in script.headers["Cache-Control"]


async def test_missing_and_traversal(console_hub: ConsoleHub) -> None:
    client = console_hub.client
    missing = await client.get("/ui/assets/nope.js")
    assert missing.status == 404
    assert (await missing.json())["error"]["code"] == "http.not_found"
    sneaky = await client.get("/ui/%2e%2e/%2e%2e/serve.py")
    assert sneaky.status == 404


async def test_config_needs_no_sign_in(console_hub: ConsoleHub) -> None:
    response = await console_hub.client.get("/api/v1/ui/config")
    assert response.status == 200
    assert await response.json() == {
        "tile_url": None,
        "tiles": None,
        "pages": ["console", "field", "report"],
        "time_zone": "Asia/Shanghai",
    }


async def test_unbuilt_consoles_say_what_to_do(
    tmp_path: Path, aiohttp_client: AiohttpClient
) -> None:
    app = web.Application(middlewares=[request_context])
    app[ENDPOINTS] = []
    app[SETTINGS] = make_settings(tmp_path, map_tile_url="http://tiles.lan/{z}/{x}/{y}.png")
    serve.mount(app, dist=tmp_path / "nowhere")
    client = await aiohttp_client(app)
    page = await client.get("/console")
    assert page.status == 503
    assert "scripts/setup" in await page.text()
    asset = await client.get("/ui/assets/x.js")
    assert asset.status == 503
    assert (await asset.json())["error"]["code"] == "consoles.not_built"
    config = await (await client.get("/api/v1/ui/config")).json()
    assert config["tile_url"] == "http://tiles.lan/{z}/{x}/{y}.png"
