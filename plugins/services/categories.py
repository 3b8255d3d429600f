"""The dispatch categories this plugin's incidents use, offered to dispatch at start-up.

Dispatch adds a category whose code it does not have and leaves an existing one (an
administrator's edits) as it is (`CategoryOffered`, plugins/dispatch/messages.py).
"""

from __future__ import annotations

from hub.sdk import PluginContext
from plugins.dispatch.messages import CategoryOffered

# Care incidents are missed check-ins of elderly people: signed for within the hour when high.
OFFERED = (
    CategoryOffered(
        code="gov_service",
        by_plugin="services",
        name_zh="政务代办",
        name_en="Government service proxy",
        description="帮代办：群众委托网格员代办的政务服务事项",
        public=False,
    ),
    CategoryOffered(
        code="elderly_care",
        by_plugin="services",
        name_zh="为老服务",
        name_en="Elderly care",
        description="独居、高龄老人探访未到或求助",
        public=False,
        sla={"sign": {"high": 3600}},
    ),
)


async def offer(ctx: PluginContext) -> None:
    for category in OFFERED:
        await ctx.bus.publish(category)
