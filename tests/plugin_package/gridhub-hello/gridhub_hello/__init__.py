"""gridhub-hello: village-entrance greetings (村口公告), a GridHub plugin from outside the hub.

It imports GridHub only through `hub.sdk`, and brings its own table (Alembic branch "hello"), its
own role (hello_keeper), HTTP routes, a socket event, bus subscriptions and prebuilt console
pieces: a page, a map layer and a big-screen panel.
"""

from __future__ import annotations

from pathlib import Path

from hub.sdk import BasePlugin, ConsolePage, MapLayer, PluginContext, PluginUi, ScreenPanel

from gridhub_hello import api
from gridhub_hello.access import KEEPER_ROLE, KEEPERS
from gridhub_hello.greetings import Greetings

HERE = Path(__file__).parent

UI = PluginUi(
    pages=(
        ConsolePage(
            id="greetings",
            title_zh="村口公告",
            title_en="Greetings",
            roles=KEEPERS,
            order=50,
            path="greetings",
            module="hello.js",
            export="GreetingsPage",
        ),
    ),
    map_layers=(
        MapLayer(
            id="greetings",
            title_zh="村口公告",
            title_en="Greetings",
            roles=KEEPERS,
            order=50,
            source="/api/v1/hello/greetings.geojson",
            style={"color": "#d97706", "fillColor": "#fbbf24", "fillOpacity": 0.8, "radius": 7},
            default_on=False,
        ),
    ),
    screen_panels=(
        ScreenPanel(
            id="greetings",
            title_zh="村口公告",
            title_en="Greetings",
            roles=KEEPERS,
            order=50,
            module="hello.js",
            export="GreetingsPanel",
        ),
    ),
)


class HelloPlugin(BasePlugin):
    name = "hello"
    migrations = HERE / "migrations"
    roles = (KEEPER_ROLE,)
    ui = UI
    static = HERE / "static"

    async def setup(self, ctx: PluginContext) -> None:
        greetings = Greetings(ctx)
        counters = api.Counters()
        api.mount_http(ctx, greetings, counters)
        api.mount_socket(ctx, greetings)
        await api.subscribe(ctx, greetings, counters)
