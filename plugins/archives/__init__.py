"""辖区档案 (jurisdiction archives): standard addresses, houses, households, people, places,
organisations and key groups per grid (一标三实), as a plugin on the SDK. See docs/archives.md."""

from __future__ import annotations

from pathlib import Path

from hub.sdk import BasePlugin, PluginContext
from plugins.archives import api, tags, work_api
from plugins.archives.access import ROLES
from plugins.archives.keys import load_hasher
from plugins.archives.records import HOUSES, ORGS, PLACES, Records
from plugins.archives.residents import Residents
from plugins.archives.shared import Env

HERE = Path(__file__).parent


class ArchivesPlugin(BasePlugin):
    name = "archives"
    optional = ("dispatch",)  # hazards and campaign breaches file incidents when it runs
    migrations = HERE / "migrations"
    roles = ROLES

    async def setup(self, ctx: PluginContext) -> None:
        async with ctx.first_start():
            hasher = await load_hasher(ctx.sessions)
            env = Env(ctx, hasher)
            if added := await tags.seed_defaults(env):
                ctx.log.info("added %d default key-group tags", added)
        records = {"houses": Records(env, HOUSES), "places": Records(env, PLACES),
                   "orgs": Records(env, ORGS)}  # fmt: skip
        api.install(ctx, env, Residents(env), records)
        await work_api.mount(ctx)  # visits, change proposals, campaigns (work_api.py)
