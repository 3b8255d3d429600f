"""The offline base map: an MBTiles package drawn from the demo grid tree, served by the hub
(hits, misses, caching, refused coordinates) and drawn under the console's live map."""

from __future__ import annotations

import io
import shutil
import sqlite3
from pathlib import Path

import pytest
from aiohttp import web
from PIL import Image
from playwright.async_api import Response

from consoles import maptiles, serve
from hub import basemap, cli, demo_data
from hub.keys import SETTINGS
from hub.web import ENDPOINTS, request_context
from tests.consoles.browser import Browsers, sign_in
from tests.consoles.conftest import COMMANDER, PASSWORD, ConsoleHub, StartConsoleHub
from tests.hub.conftest import AiohttpClient, Client, make_settings

ZOOMS = range(10, 14)  # the console fits the county at about 11.5 on its test viewport
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("basemap") / "county.mbtiles"
    drawn = basemap.from_grids(demo_data.demo_grids())
    basemap.write_mbtiles(drawn, target, ZOOMS, "test county")
    return target


@pytest.fixture
async def console_hub(package: Path, start_console_hub: StartConsoleHub) -> ConsoleHub:
    """The demo hub serving the package as its base map."""
    return await start_console_hub(map_tiles=package)


async def tile_hub(aiohttp_client: AiohttpClient, data_dir: Path, **settings: object) -> Client:
    """Only what the tiles need: the config route and the tile route."""
    app = web.Application(middlewares=[request_context])
    app[ENDPOINTS] = []
    app[SETTINGS] = make_settings(data_dir, **settings)
    serve.config_router().mount(app)
    maptiles.mount(app)
    return await aiohttp_client(app)


def stored(package: Path, z: int, x: int, y: int) -> bytes:
    with sqlite3.connect(package) as db:
        row = db.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
            (z, x, 2**z - 1 - y),
        ).fetchone()
    db.close()
    return bytes(row[0])


def river_tile(zoom: int) -> tuple[int, int]:
    """The tile at the middle of the demo's river (弥河)."""
    river = basemap.from_grids(demo_data.demo_grids()).rivers[0]
    lon, lat = river[len(river) // 2]
    px, py = basemap.pixel(lon, lat, zoom)
    return int(px // basemap.TILE), int(py // basemap.TILE)


def test_the_demo_base_map_has_the_river_roads_and_villages(package: Path) -> None:
    drawn = basemap.from_grids(demo_data.demo_grids())
    assert [name for name, _ in drawn.places][:4] == ["东庄村", "王家村", "屯田村", "南楼村"]
    assert len(drawn.places) == 12
    assert len(drawn.roads) == 5  # a road per town, two across the towns
    _, south, _, north = drawn.bounds()
    (course,) = drawn.rivers  # south to north across the county
    assert course[0][1] == south
    assert course[-1][1] == north
    with sqlite3.connect(package) as db:
        counts = dict(db.execute("SELECT zoom_level, count(*) FROM tiles GROUP BY zoom_level"))
    db.close()
    assert counts == {z: len(list(basemap.tile_range(drawn.bounds(), z))) for z in ZOOMS}
    x, y = river_tile(12)
    image = Image.open(io.BytesIO(stored(package, 12, x, y))).convert("RGBA")
    assert image.size == (256, 256)
    colours = {colour for _, colour in image.getcolors(256 * 256) or []}
    assert (*basemap.WATER, 255) in colours
    assert (*basemap.FIELD_A, 255) in colours or (*basemap.FIELD_B, 255) in colours
    x0, y0 = next(basemap.tile_range(drawn.bounds(), 10))  # the north-west corner's tile
    corner = Image.open(io.BytesIO(stored(package, 10, x0, y0))).convert("RGBA")
    assert corner.getpixel((0, 0))[3] == 0  # outside the county: transparent


async def test_tiles_are_served_with_caching_headers(
    package: Path, tmp_path: Path, aiohttp_client: AiohttpClient
) -> None:
    client = await tile_hub(aiohttp_client, tmp_path, map_tiles=package)
    config = await (await client.get("/api/v1/ui/config")).json()
    tiles = config["tiles"]
    assert config["tile_url"] == tiles["url"]
    assert tiles["url"].startswith("/api/v1/map/tiles/{z}/{x}/{y}?v=")
    assert (tiles["min_zoom"], tiles["max_zoom"]) == (10, 13)
    assert tiles["bounds"] == pytest.approx([118.55, 36.75, 118.95, 37.05])

    x, y = river_tile(12)
    path = f"/api/v1/map/tiles/12/{x}/{y}"
    versioned = await client.get(tiles["url"].format(z=12, x=x, y=y))
    assert versioned.status == 200
    assert versioned.headers["Content-Type"] == "image/png"
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    body = await versioned.read()
    assert body.startswith(PNG)
    assert body == stored(package, 12, x, y)

    plain = await client.get(path)
    assert plain.headers["Cache-Control"] == "no-cache"  # not the current version: revalidate
    etag = plain.headers["ETag"]
    assert etag == versioned.headers["ETag"]
    again = await client.get(path, headers={"If-None-Match": f'"other", W/{etag}'})
    assert again.status == 304
    assert await again.read() == b""
    assert again.headers["ETag"] == etag
    other = await client.get(f"/api/v1/map/tiles/12/{x + 1}/{y}", headers={"If-None-Match": etag})
    assert other.status == 200
    assert other.headers["ETag"] != etag


async def test_a_missing_tile_is_a_404_and_bad_coordinates_are_refused(
    package: Path, tmp_path: Path, aiohttp_client: AiohttpClient
) -> None:
    client = await tile_hub(aiohttp_client, tmp_path, map_tiles=package)
    for path in ("/api/v1/map/tiles/12/0/0", "/api/v1/map/tiles/14/13500/6300"):
        missing = await client.get(path)
        assert missing.status == 404, path
        assert (await missing.json())["error"]["code"] == "map.tile_not_found"
    for z, x, y in (
        ("a", "1", "1"),
        ("12", "-1", "0"),
        ("3", "8", "0"),  # x beyond the 2^3 columns of zoom 3
        ("3", "0", "8"),
        ("25", "0", "0"),
        ("12", "١٢", "0"),  # Arabic-Indic digits are digits to str.isdigit, not to us
        ("12", "1e3", "0"),
        ("12", "9" * 40, "0"),
    ):
        refused = await client.get(f"/api/v1/map/tiles/{z}/{x}/{y}")
        assert refused.status == 400, (z, x, y)
        error = (await refused.json())["error"]
        assert error["code"] == "map.bad_tile"
        assert error["message"]


async def test_no_package_no_base_map(tmp_path: Path, aiohttp_client: AiohttpClient) -> None:
    client = await tile_hub(aiohttp_client, tmp_path)
    config = await (await client.get("/api/v1/ui/config")).json()
    assert config["tiles"] is None
    assert config["tile_url"] is None
    answer = await client.get("/api/v1/map/tiles/12/3370/1570")
    assert answer.status == 404
    assert (await answer.json())["error"]["code"] == "map.no_tiles"


async def test_an_unusable_package_stops_start_up(package: Path, tmp_path: Path) -> None:
    with pytest.raises(maptiles.TilePackageError, match="no such file"):
        await maptiles.open_package(tmp_path / "absent.mbtiles")
    not_sqlite = tmp_path / "notes.mbtiles"
    not_sqlite.write_text("just text")
    with pytest.raises(maptiles.TilePackageError, match="not a raster MBTiles"):
        await maptiles.open_package(not_sqlite)
    vector = tmp_path / "vector.mbtiles"
    shutil.copyfile(package, vector)
    with sqlite3.connect(vector) as db:
        db.execute("UPDATE metadata SET value='pbf' WHERE name='format'")
    db.close()
    with pytest.raises(maptiles.TilePackageError, match="'pbf'"):
        await maptiles.open_package(vector)
    both = web.Application()
    both[SETTINGS] = make_settings(tmp_path, map_tiles=package, map_tile_url="http://t/{z}")
    with pytest.raises(maptiles.TilePackageError, match="not both"):
        await anext(maptiles._package_context(both))


def test_the_demo_draws_its_base_map_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(basemap, "DEMO_ZOOMS", range(10, 11))
    settings = cli.with_demo_base_map(make_settings(tmp_path / "data"))
    target = tmp_path / "data" / cli.DEMO_BASE_MAP
    assert settings.map_tiles == target
    drawn_at = target.stat().st_mtime_ns
    assert cli.with_demo_base_map(make_settings(tmp_path / "data")).map_tiles == target
    assert target.stat().st_mtime_ns == drawn_at  # the second start keeps it
    own = make_settings(tmp_path / "data", map_tile_url="http://tiles.lan/{z}/{x}/{y}.png")
    assert cli.with_demo_base_map(own).map_tiles is None  # a configured tile server wins


async def test_the_console_map_draws_the_hubs_tiles(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    answered: list[Response] = []
    page = await browsers.page("/console", viewport={"width": 1600, "height": 900})
    page.on("response", lambda response: answered.append(response))
    await sign_in(page, COMMANDER, PASSWORD)
    loaded = page.locator(".gh-base-map img.leaflet-tile-loaded")
    await loaded.first.wait_for()
    tiles = [r for r in answered if "/api/v1/map/tiles/" in r.url]
    assert tiles
    assert all(r.url.startswith(console_hub.url + "/api/v1/map/tiles/") for r in tiles)
    odd = [(r.url, r.status, r.headers.get("content-type")) for r in tiles]
    odd = [o for o in odd if o[1:] != (200, "image/png")]
    assert not odd  # (each: the tile's URL, status and type, to tell why)
    sizes = await loaded.evaluate_all("(images) => images.map((i) => [i.src, i.naturalWidth])")
    assert {width for _, width in sizes} == {256}, sizes
    # (the browsers fixture fails the test on any request to another host)
