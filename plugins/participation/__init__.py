"""志愿服务、民主议事、邻里生活、积分制 (participation): residents taking part.

The plugin is being built (see its issue); until then it registers nothing.
"""

from __future__ import annotations

from hub.sdk import BasePlugin, PluginContext


class ParticipationPlugin(BasePlugin):
    name = "participation"

    async def setup(self, ctx: PluginContext) -> None:
        ctx.log.debug("plugin %s has nothing to register yet", self.name)
