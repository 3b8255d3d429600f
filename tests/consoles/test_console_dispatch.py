"""The commander dispatches through the console; the board follows every change live.

An incident reported by someone else appears on the commander's board at once; the commander
opens it, picks the suggested worker in the dispatch dialog and dispatches; the worker, in a
second browser context on the field app, sees the task and signs for it; the commander's card
moves to 已签收 without a reload.
"""

from __future__ import annotations

from playwright.async_api import expect

from tests.consoles.browser import Browsers, input_of
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER, ConsoleHub
from tests.consoles.fieldkit import incident, person_id, phone

DISPATCHER = "county.dispatch"
BASIC = "370783-001-001-01"  # w01's grid
LIVE_MS = 5_000


async def test_commander_dispatches_in_the_ui_and_the_board_follows(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    console = await browsers.signed_in(COMMANDER, PASSWORD, "/console/incidents")
    await console.get_by_test_id("incident-board").wait_for()
    field = await browsers.signed_in(WORKER, PASSWORD, "/field", **phone())

    made = await console_hub.api(
        "POST", "/api/v1/dispatch/incidents", DISPATCHER,
        json={"title": "东庄桥北侧积水", "category": "env_sanitation", "grid": BASIC},
    )  # fmt: skip
    card = console.get_by_test_id(f"incident-card-{made['id']}")
    await expect(card).to_have_attribute("data-state", "registered", timeout=LIVE_MS)
    await expect(console.get_by_test_id("column-registered")).to_contain_text("东庄桥北侧积水")

    await card.click()
    drawer = console.get_by_test_id("incident-drawer")
    await expect(drawer.get_by_test_id("drawer-state")).to_have_text("已立案")
    await drawer.get_by_test_id("act-dispatch").click()
    # Grids offered are those under the handling level (东庄村: five grids and the party
    # overlay), not all 200 in the county commander's scope: the hub refuses the others.
    await console.get_by_test_id("dispatch-grid").click()
    grids = console.locator(".el-select-dropdown:visible").get_by_role("option")
    await expect(grids).to_have_count(6)
    assert all("(370783-001-001-" in text for text in await grids.all_inner_texts())
    await console.get_by_test_id("dispatch-grid").click()  # closes the list again
    suggestion = console.get_by_test_id(f"suggest-{WORKER}")
    await suggestion.click()
    await expect(suggestion).to_have_class("suggestion picked")
    await input_of(console, "action-note").fill("请尽快到场处置")
    await console.get_by_test_id("action-submit").click()

    await expect(drawer.get_by_test_id("drawer-state")).to_have_text("已派遣")
    await expect(card).to_have_attribute("data-state", "dispatched")
    worker_id = await person_id(console_hub, WORKER)
    await expect(drawer.get_by_test_id(f"assignee-{worker_id}")).to_be_visible()
    after = await incident(console_hub, made["id"])
    assert after["state"] == "dispatched"
    assert [(a["kind"], a["target"], a["lead"]) for a in after["assignments"]] == [
        ("person", str(worker_id), True)
    ]
    assert after["timeline"][-1]["note"] == "请尽快到场处置"

    # The worker's phone shows the task; signing it there moves the commander's card live.
    number = after["number"]
    row = field.get_by_test_id(f"task-{number}")
    await expect(row).to_have_attribute("data-state", "dispatched", timeout=LIVE_MS)
    await field.get_by_test_id(f"sign-{number}").click()
    await expect(card).to_have_attribute("data-state", "signed", timeout=LIVE_MS)
    await expect(drawer.get_by_test_id("drawer-state")).to_have_text("已签收")
    await expect(console.get_by_test_id("timeline")).to_contain_text("签收")


async def test_commander_reports_and_registers_from_the_console(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    console = await browsers.signed_in(COMMANDER, PASSWORD, "/console/incidents")
    await console.get_by_test_id("incident-new").click()
    await input_of(console, "new-title").fill("村口路灯不亮")
    await console.get_by_test_id("new-category").click()
    await console.get_by_role("option").first.click()
    # The grid picker is the grid tree (its list has the id too), searched by code.
    await console.locator('.el-select[data-testid="new-grid"]').click()
    await input_of(console, "new-grid").press_sequentially(BASIC)
    picker = console.locator(".el-select-dropdown:visible .el-tree-node__content")
    await picker.filter(has_text=BASIC).click()
    await console.get_by_test_id("new-submit").click()

    drawer = console.get_by_test_id("incident-drawer")
    await expect(drawer.get_by_test_id("drawer-state")).to_have_text("已立案")  # console entry
    listed = await console_hub.api("GET", "/api/v1/dispatch/incidents?q=村口路灯", COMMANDER)
    (item,) = listed["items"]
    assert (item["source"], item["state"]) == ("console", "registered")
    await expect(console.get_by_test_id(f"incident-card-{item['id']}")).to_be_visible()

    # An action that needs a note (督办) goes through the dialog into the timeline.
    await drawer.get_by_test_id("act-supervise").click()
    await console.get_by_test_id("action-submit").click()  # no note: the hub refuses it
    await expect(console.get_by_text("请填写处理说明")).to_be_visible()
    await input_of(console, "action-note").fill("请今天内处理完毕")
    await console.get_by_test_id("action-submit").click()
    await expect(drawer.get_by_test_id("timeline")).to_contain_text("请今天内处理完毕")
    # The incident's own chat opens from the drawer.
    await drawer.get_by_role("tab", name="事件群聊").click()
    await input_of(console, "chat-input").fill("已通知网格员")
    await drawer.get_by_test_id("chat-send").click()
    await expect(drawer.get_by_test_id("chat-messages")).to_contain_text("已通知网格员")
    after = await incident(console_hub, item["id"])
    assert after["timeline"][-1]["action"] == "supervise"
    assert after["channel_id"] is not None
