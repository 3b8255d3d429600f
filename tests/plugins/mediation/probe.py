"""A plugin of the tests' own that records mediation's bus messages, as another plugin
would receive them."""

from __future__ import annotations

from hub.sdk import BasePlugin, DomainMessage, PluginContext
from plugins.mediation.messages import CaseConcluded, CaseRiskRaised


class Probe(BasePlugin):
    name = "mediation_probe"
    optional = ("mediation",)

    def __init__(self) -> None:
        self.heard: list[DomainMessage] = []

    async def setup(self, ctx: PluginContext) -> None:
        for kind in (CaseConcluded, CaseRiskRaised):
            ctx.on_cleanup(await ctx.bus.subscribe(kind, self.hear, group=self.name))

    async def hear(self, message: DomainMessage) -> None:
        self.heard.append(message)

    def of(self, kind: type[DomainMessage]) -> list[DomainMessage]:
        return [m for m in self.heard if isinstance(m, kind)]
