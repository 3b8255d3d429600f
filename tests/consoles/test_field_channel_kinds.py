"""The field app's channel list marks channels by kind: the core's own (grid, ad-hoc, direct)
each with theirs, and a channel owned by any plugin's object (an incident, a patrol, ...) with
the one mark of plugin-owned channels, whatever the plugin calls its kind."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from hub.sdk import BasePlugin, Call, PluginContext, Scope, signed_in
from tests.consoles.browser import Browsers
from tests.consoles.conftest import PASSWORD, WORKER, ConsoleHub, StartConsoleHub
from tests.consoles.fieldkit import phone

JOIN = signed_in("patrol.join", Scope.OWN)


class Patrol(BasePlugin):
    """Owns one talk channel per patrol, of its own kind "patrol"; a caller joins one."""

    name = "patrol"

    async def setup(self, ctx: PluginContext) -> None:
        @ctx.http.post("/join", summary="Join the north patrol's channel", rule=JOIN)
        async def join(call: Call[None, None]) -> dict[str, Any]:
            info = await ctx.channels.for_ref("patrol", "north", "北片巡逻", [call.who.person_id])
            return {"channel_id": info.id}


@pytest.fixture
async def console_hub(start_console_hub: StartConsoleHub) -> ConsoleHub:
    return await start_console_hub(more={"patrol": Patrol()})


async def test_a_plugin_owned_channel_has_the_plugin_mark(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    patrol = (await console_hub.api("POST", "/api/v1/patrol/join", WORKER))["channel_id"]
    field = await browsers.signed_in(WORKER, PASSWORD, "/field", **phone())
    await field.get_by_test_id("tab-chat").click()
    await expect(field.get_by_test_id(f"channel-{patrol}")).to_contain_text("北片巡逻")
    await expect(field.get_by_test_id(f"channel-icon-{patrol}")).to_have_text("⚑")
    grid = field.locator(".chan", has_text="东庄村第一网格").locator(".kind")
    await expect(grid).to_have_text("▦")
