"""党建引领 (party building) and 三务公开 (public disclosure).

The plugin is being built (see its issue); until then it registers nothing.
"""

from __future__ import annotations

from hub.sdk import BasePlugin, PluginContext


class PartyPlugin(BasePlugin):
    name = "party"

    async def setup(self, ctx: PluginContext) -> None:
        ctx.log.debug("plugin %s has nothing to register yet", self.name)
