"""帮代办、为老服务、场地预约 (resident services).

The plugin is being built (see its issue); until then it registers nothing.
"""

from __future__ import annotations

from hub.sdk import BasePlugin, PluginContext


class ServicesPlugin(BasePlugin):
    name = "services"

    async def setup(self, ctx: PluginContext) -> None:
        ctx.log.debug("plugin %s has nothing to register yet", self.name)
