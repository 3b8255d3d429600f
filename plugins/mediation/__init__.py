"""矛盾纠纷多元化解 (dispute mediation) and legal services.

The plugin is being built (see its issue); until then it registers nothing.
"""

from __future__ import annotations

from hub.sdk import BasePlugin, PluginContext


class MediationPlugin(BasePlugin):
    name = "mediation"

    async def setup(self, ctx: PluginContext) -> None:
        ctx.log.debug("plugin %s has nothing to register yet", self.name)
