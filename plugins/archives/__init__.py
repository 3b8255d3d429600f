"""辖区档案 (jurisdiction archives): standard addresses, houses, households, people, places,
organisations and key groups per grid (一标三实), as a plugin on the SDK. See docs/archives.md."""

from __future__ import annotations

from pathlib import Path

from hub.sdk import BasePlugin, PluginContext, PluginUi
from plugins.archives import api, lookup, seed, tags, work_api, work_seed
from plugins.archives.access import ROLES
from plugins.archives.keys import Hasher
from plugins.archives.pages import CONSOLE_PAGES, DRAWER_CARDS, MAP_LAYERS, SCREEN_PANELS
from plugins.archives.records import HOUSES, ORGS, PLACES, Records
from plugins.archives.residents import Residents
from plugins.archives.shared import Env
from plugins.archives.work_ui import FIELD_TABS, STYLES, WORK_PAGES

HERE = Path(__file__).parent


class ArchivesPlugin(BasePlugin):
    name = "archives"
    optional = ("dispatch",)  # hazards and campaign breaches file incidents when it runs
    migrations = HERE / "migrations"
    roles = ROLES
    # the console's 辖区档案 page and map layers (pages.py); the field app's 走访 tab (work_ui.py)
    ui = PluginUi(pages=(*CONSOLE_PAGES, *WORK_PAGES), map_layers=MAP_LAYERS, field_tabs=FIELD_TABS,
                  styles=STYLES, screen_panels=SCREEN_PANELS,
                  drawer_cards=DRAWER_CARDS)  # fmt: skip
    static = HERE / "static"

    async def setup(self, ctx: PluginContext) -> None:
        env = Env(ctx, Hasher(ctx.personal))
        async with ctx.first_start():
            if added := await tags.seed_defaults(env):
                ctx.log.info("added %d default key-group tags", added)
        records = {"houses": Records(env, HOUSES), "places": Records(env, PLACES),
                   "orgs": Records(env, ORGS)}  # fmt: skip
        api.install(ctx, env, Residents(env), records)
        await work_api.mount(ctx)  # visits, change proposals, campaigns (work_api.py)
        await lookup.subscribe(ctx)  # other plugins' ResidentLookup (messages.py)

    async def seed_demo(self, ctx: PluginContext) -> None:
        """The demo county's synthetic archive (seed.py), once: only while it is empty."""
        env = Env(ctx, Hasher(ctx.personal))
        await tags.seed_defaults(env)
        await seed.seed_demo(env)
        await work_seed.seed_visit_history(ctx)  # visit history of the demo (work_seed.py)
