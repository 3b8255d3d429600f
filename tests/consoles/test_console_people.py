"""人员与角色 (People & roles) in the console: an admin assigns a plugin-declared role over a
grid and takes it away again; the hub's route for that role follows. Others never see the page.
"""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from hub import policy
from hub.plugins import BasePlugin, PluginContext
from hub.roles import RoleSpec
from hub.web import Call
from tests.consoles.browser import Browsers
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER, ConsoleHub, StartConsoleHub
from tests.consoles.test_zh_walk import assert_chinese
from tests.hub.conftest import bearer, login

VILLAGE = "370783-001-001"  # 东庄村
GRANT = f"inspector@{VILLAGE}"
SECRET = policy.for_roles("patrol.secret", {"inspector"}, policy.Scope.NONE)


class Patrol(BasePlugin):
    """Declares the 巡查员 role and one route only it opens."""

    name = "patrol"
    roles = (RoleSpec("inspector", "巡查员", "Inspector"),)

    async def setup(self, ctx: PluginContext) -> None:
        @ctx.http.get("/secret", summary="Inspectors only", rule=SECRET)
        async def secret(call: Call[None, None]) -> dict[str, str]:
            return {"seen_by": call.who.username}


async def worker_roles(hub: ConsoleHub) -> set[str]:
    people = await hub.api("GET", f"/api/v1/people?grid={VILLAGE}", "admin")
    w01 = next(p for p in people if p["username"] == WORKER)
    return {f"{r['role']}@{r['grid'] or ''}" for r in w01["roles"]}


async def secret_status(hub: ConsoleHub) -> int:
    token = await login(hub.client, WORKER)
    response = await hub.client.get("/api/v1/patrol/secret", headers=bearer(token))
    return response.status


@pytest.fixture
async def console_hub(start_console_hub: StartConsoleHub) -> ConsoleHub:
    """The demo hub with every plugin, and Patrol."""
    return await start_console_hub(more={"patrol": Patrol()})


async def test_admin_assigns_a_plugin_role_per_grid_and_removes_it(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    hub = console_hub
    assert await secret_status(hub) == 403
    page = await browsers.signed_in("admin", PASSWORD)
    await page.get_by_test_id("nav-people").click()
    await page.get_by_test_id(f"person-{WORKER}").click()
    detail = page.get_by_test_id("person-detail")
    await expect(detail).to_contain_text("网格员")

    await page.get_by_test_id("role-select").click()
    options = page.locator(".el-select-dropdown:visible").get_by_role("option")
    await expect(options.filter(has_text="指挥长")).to_have_count(1)  # core roles, in Chinese
    await options.filter(has_text="巡查员").click()  # the plugin's, by its zh title
    grid_select = detail.get_by_test_id("grid-select")
    await grid_select.click()
    await grid_select.locator("input").fill("东庄村")  # the tree filters as one types
    await page.locator(".el-tree-node__content:visible", has_text=f"({VILLAGE})").click()
    await page.get_by_test_id("grant-add").click()

    added = page.get_by_test_id(f"grant-{GRANT}")
    await expect(added).to_contain_text("巡查员 · 东庄村")
    # a role a plugin added, in words; the plugin's name (a code) only on hover
    await expect(added).to_contain_text("插件角色")
    await expect(added.get_by_test_id("grant-plugin")).to_have_attribute("title", "patrol")
    await assert_chinese(page, "a plugin's role assigned")
    assert GRANT in await worker_roles(hub)
    assert await secret_status(hub) == 200

    await page.get_by_test_id(f"grant-remove-{GRANT}").click()
    await expect(added).to_have_count(0)
    assert GRANT not in await worker_roles(hub)
    assert any(r.startswith("grid_worker@") for r in await worker_roles(hub))
    assert await secret_status(hub) == 403


async def test_only_admins_see_people_and_roles(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    page = await browsers.signed_in(COMMANDER, PASSWORD)
    await expect(page.get_by_test_id("nav-calls")).to_be_visible()
    await expect(page.get_by_test_id("nav-people")).to_have_count(0)
    await page.goto("/console/people")
    await expect(page.get_by_test_id("people-refused")).to_contain_text("仅供管理员使用")
    assert await page.get_by_test_id("people-table").count() == 0
