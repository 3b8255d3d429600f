"""辖区档案 (jurisdiction archives): standard addresses, houses, households, people, places,
organisations and key groups per grid (一标三实), as a plugin on the SDK. See docs/archives.md."""

from __future__ import annotations

from pathlib import Path

from hub.sdk import BasePlugin, PluginContext
from plugins.archives.access import ROLES
from plugins.archives.keys import load_hasher

HERE = Path(__file__).parent


class ArchivesPlugin(BasePlugin):
    name = "archives"
    migrations = HERE / "migrations"
    roles = ROLES

    async def setup(self, ctx: PluginContext) -> None:
        async with ctx.first_start():
            hasher = await load_hasher(ctx.sessions)
        ctx.log.debug("archives ready (%s)", type(hasher).__name__)
