"""Console layouts at a desktop's 1600×900 (issue 18, items 4 and 7): alarm banners never
cover what they announce, the alarm detail leaves the table's severity and buttons on screen,
a very long description leaves the incident drawer usable, closing the drawer does not open
the user menu, and the grid picker of 新建事件 is the grid tree, filtered by typing.

"On screen and clickable" is checked the way a person meets it: Playwright clicks without
force (it waits until nothing covers the element) and the element at the point is the one
meant (`hit`).
"""

from __future__ import annotations

from typing import Any

from playwright.async_api import Locator, Page, expect

from plugins.alarms.client import DeviceClient
from tests.consoles.browser import Browsers, animations_ended, input_of
from tests.consoles.conftest import COMMANDER, PASSWORD, ConsoleHub

DESKTOP: dict[str, Any] = {"viewport": {"width": 1600, "height": 900}}
DEVICES = ["dev-gas-01", "dev-gas-02", "dev-smoke-01"]  # three CRITICAL alarms, three banners
BASIC = "370783-001-001-01"  # 东庄村第一网格
GRID_PICKER = '.el-select[data-testid="new-grid"]'  # (the tree in its list has the id too)
CLICK_MS = 3_000  # a covered element never becomes clickable: fail fast
# el-dropdown opens on hover after 150 ms; absence is only known once that time has passed.
HOVER_OPENS_MS = 600


async def hit(target: Locator) -> bool:
    """The element at the centre of `target` is `target` or inside it (nothing covers it, it
    is not clipped away) and the centre lies inside the viewport. Measured and probed in one
    step in the page: between two round trips the element could move (a drawer sliding in)."""
    return bool(
        await target.evaluate(
            """(el) => {
                const box = el.getBoundingClientRect();
                const x = box.left + box.width / 2, y = box.top + box.height / 2;
                if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) return false;
                const at = document.elementFromPoint(x, y);
                return !!at && (el === at || el.contains(at));
            }"""
        )
    )


async def three_banners(hub: ConsoleHub, devices: list[DeviceClient], page: Page) -> None:
    for code in DEVICES:
        device = hub.device(code)
        devices.append(device)
        await device.connect()
        await device.wait_acked(await device.alarm("gas_leak", "CRITICAL", message="浓度超限"))
    await expect(page.locator('[data-testid^="flash-alarm-"]')).to_have_count(3)


async def test_alarm_banners_leave_the_alarm_table_clickable(
    console_hub: ConsoleHub, browsers: Browsers, devices: list[DeviceClient]
) -> None:
    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console/alarms", **DESKTOP)
    await page.get_by_test_id("alarm-table").wait_for()
    await three_banners(console_hub, devices, page)

    # A row's middle cell (under where the banners used to float) opens the detail.
    first = page.locator('[data-testid^="alarm-row-"]').first
    row = first.locator("xpath=ancestor::tr")
    device = row.locator("td").nth(2)
    assert await hit(device)
    await device.click(timeout=CLICK_MS)
    await expect(page.get_by_test_id("alarm-detail")).to_be_visible()

    # With the detail open: 全部告警, the row's severity and its buttons are on screen.
    everything = page.get_by_role("radio", name="全部告警").locator("xpath=..")
    assert await hit(everything)
    await everything.click(timeout=CLICK_MS)
    await expect(page.get_by_role("radio", name="全部告警")).to_be_checked()
    assert await hit(first)
    for name in ("清除", "评论", "指派"):
        button = row.get_by_role("button", name=name)
        assert await hit(button), f"{name} is off screen or covered"
    await row.get_by_role("button", name="评论").click(timeout=CLICK_MS)
    await expect(input_of(page, "alarm-comment")).to_be_visible()
    # The banners are still there (nothing was dismissed to get at the table).
    await expect(page.locator('[data-testid^="flash-alarm-"]')).to_have_count(3)


async def long_incident(hub: ConsoleHub) -> dict[str, Any]:
    text = ("东庄桥北侧排水沟堵塞，雨后积水严重。" * 200 + "x" * 1400)[:5000]
    body = {"title": "排水沟堵塞", "category": "env_sanitation", "grid": BASIC, "description": text}
    made: dict[str, Any] = await hub.api("POST", "/api/v1/dispatch/incidents", COMMANDER, json=body)
    return made


async def test_a_long_description_leaves_the_drawer_usable(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    made = await long_incident(console_hub)
    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console/incidents", **DESKTOP)
    await page.get_by_test_id(f"incident-card-{made['id']}").click()
    drawer = page.get_by_test_id("incident-drawer")
    await expect(drawer.get_by_test_id("drawer-state")).to_have_text("已立案")
    await expect(drawer).to_contain_text("东庄桥北侧排水沟堵塞")  # the description is there
    # the drawer slides in: its buttons are where a person can click once it has stopped
    # (a loaded CI machine read a button's box mid-slide, and the point was not on it)
    await animations_ended(drawer)

    for label in await drawer.locator(".el-descriptions__label").all():
        box = await label.bounding_box()
        assert box is not None
        assert box["width"] > 40, await label.inner_text()
    buttons = await drawer.get_by_test_id("incident-actions").get_by_role("button").all()
    assert buttons
    for button in buttons:
        assert await hit(button), await button.inner_text()
    await drawer.get_by_test_id("act-supervise").click(timeout=CLICK_MS)
    await expect(page.get_by_test_id("action-submit")).to_be_visible()


async def test_closing_the_drawer_does_not_open_the_user_menu(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    made = await long_incident(console_hub)
    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console/incidents", **DESKTOP)
    await page.get_by_test_id(f"incident-card-{made['id']}").click()
    drawer = page.get_by_test_id("incident-drawer")
    await expect(drawer.get_by_test_id("drawer-state")).to_be_visible()

    close = drawer.get_by_role("button", name="关闭此对话框")
    await close.click(trial=True)  # waits until the drawer has slid in (✕ stands still)
    box = await close.bounding_box()
    assert box is not None
    await close.click(timeout=CLICK_MS)
    await expect(drawer).to_be_hidden()
    # The pointer rests where ✕ was, as a person's does, and moves a little.
    await page.mouse.move(box["x"] + box["width"] / 2 + 2, box["y"] + box["height"] / 2 + 1)
    await page.wait_for_timeout(HOVER_OPENS_MS)
    logout = page.get_by_test_id("logout")
    await expect(logout).to_be_hidden()
    # The menu itself still opens when asked for.
    await page.get_by_test_id("user-menu").click()
    await expect(logout).to_be_visible()


async def test_the_grid_picker_is_the_grid_tree_filtered_by_typing(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console/incidents", **DESKTOP)
    await page.get_by_test_id("incident-new").click()
    await input_of(page, "new-title").fill("东庄村口路灯不亮")
    await page.get_by_test_id("new-category").click()
    await page.get_by_role("option").first.click()

    await page.locator(GRID_PICKER).click()
    await input_of(page, "new-grid").press_sequentially("东庄")
    tree = page.locator(".el-select-dropdown:visible .el-tree")
    shown = tree.locator(".el-tree-node:visible > .el-tree-node__content")
    grids = await console_hub.api("GET", "/api/v1/grids", COMMANDER)
    # Every grid named 东庄… (and no other grid) under its village, under the town and county.
    matching = [
        f"{g['name']} ({g['code']})" for g in grids if g["level"] == "grid" and "东庄" in g["name"]
    ]
    assert len(matching) >= 5
    await expect(shown.filter(has_text="(")).to_have_count(len(matching))
    assert sorted(t for t in await shown.all_inner_texts() if "(" in t) == sorted(matching)
    village = tree.locator(".el-tree-node:visible", has_text="东庄村第一网格").filter(
        has=page.locator(":scope > .el-tree-node__content", has_text="东庄村")
    )
    await expect(village.first).to_be_visible()
    await shown.filter(has_text="东庄村第二网格").click()
    await expect(page.locator(GRID_PICKER)).to_contain_text("东庄村第二网格")
    await page.get_by_test_id("new-submit").click()

    await expect(
        page.get_by_test_id("incident-drawer").get_by_test_id("drawer-state")
    ).to_be_visible()
    listed = await console_hub.api("GET", "/api/v1/dispatch/incidents?q=东庄村口路灯", COMMANDER)
    (item,) = listed["items"]
    second = next(g for g in grids if g["code"] == "370783-001-001-02")
    assert item["grid_id"] == second["id"]
