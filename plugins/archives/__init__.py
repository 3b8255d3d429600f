"""辖区档案 (jurisdiction archives): standard addresses, houses, households, people, places, key groups, visits, campaigns.

The plugin is being built (see its issue); until then it registers nothing.
"""

from __future__ import annotations

from hub.sdk import BasePlugin, PluginContext


class ArchivesPlugin(BasePlugin):
    name = "archives"

    async def setup(self, ctx: PluginContext) -> None:
        ctx.log.debug("plugin %s has nothing to register yet", self.name)
