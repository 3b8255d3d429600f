"""The field app (/field) in Chromium, phone-sized, next to the commander console.

A task dispatched by the commander appears live on the worker's phone and signing it there
moves the console's card; SOS by long press reaches the console and the commander's
acknowledgement comes back to the phone; actions taken offline are queued, shown, and sent
in order on reconnect.
"""

from __future__ import annotations

import socketio
from playwright.async_api import Page, expect

from tests.consoles.browser import Browsers, input_of
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER, ConsoleHub
from tests.consoles.fieldkit import DISPATCH, dispatched_task, incident, phone, png

LIVE_MS = 5_000


async def field_app(browsers: Browsers) -> Page:
    return await browsers.signed_in(WORKER, PASSWORD, "/field", **phone())


async def test_dispatched_task_signed_on_the_phone_updates_the_console(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    console = await browsers.signed_in(COMMANDER, PASSWORD, "/console/incidents")
    field = await field_app(browsers)
    task = await dispatched_task(console_hub, "东庄桥下垃圾堆放")

    card = console.get_by_test_id(f"incident-card-{task['id']}")
    await expect(card).to_have_attribute("data-state", "dispatched", timeout=LIVE_MS)
    row = field.get_by_test_id(f"task-{task['number']}")
    await expect(row).to_have_attribute("data-state", "dispatched", timeout=LIVE_MS)

    await field.get_by_test_id(f"sign-{task['number']}").click()

    await expect(card).to_have_attribute("data-state", "signed", timeout=LIVE_MS)
    await expect(row).to_have_attribute("data-state", "signed")
    after = await incident(console_hub, task["id"])
    assert after["state"] == "signed"
    assert [s["action"] for s in after["timeline"]][-1] == "sign"
    assert after["timeline"][-1]["actor"] == "徐桂兰"  # w01, through the phone


async def test_sos_long_press_reaches_the_console_and_the_ack_comes_back(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    console = await browsers.signed_in(COMMANDER, PASSWORD, "/console")
    field = await field_app(browsers)
    button = field.get_by_test_id("sos-button")
    box = await button.bounding_box()
    assert box is not None
    await field.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    await field.mouse.down()  # a short press is not an SOS
    await field.mouse.up()
    await field.mouse.down()
    await expect(field.get_by_test_id("sos-banner")).to_have_attribute("data-state", "open")
    await field.mouse.up()

    await expect(console.get_by_test_id("sos-indicator")).to_be_visible(timeout=LIVE_MS)
    listed = await console_hub.api("GET", "/api/v1/escalation/sos?state=open", COMMANDER)
    assert [s["person_name"] for s in listed["sos"]] == ["徐桂兰"]
    sos = listed["sos"][0]
    assert sos["location"] == {"lat": 36.9263, "lon": 118.5656}  # the phone's GPS fix

    commander = socketio.AsyncClient()
    token = await console_hub.token(COMMANDER)
    await commander.connect(console_hub.url, auth={"token": token}, transports=["websocket"])
    try:
        ack = await commander.call("escalation.sos.ack", {"sos_id": sos["id"]}, timeout=5)
        assert ack["ok"], ack
    finally:
        await commander.disconnect()
    banner = field.get_by_test_id("sos-banner")
    await expect(banner).to_have_attribute("data-state", "acknowledged", timeout=LIVE_MS)


async def test_actions_taken_offline_are_queued_and_sent_on_reconnect(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    # Offline, Chromium itself logs each reconnect attempt of the socket as an error.
    browsers.errors.ignored.append("net::ERR_INTERNET_DISCONNECTED")
    field = await field_app(browsers)
    task = await dispatched_task(console_hub, "村西头井盖缺失")
    number = task["number"]
    await expect(field.get_by_test_id(f"task-{number}")).to_be_visible(timeout=LIVE_MS)

    await field.context.set_offline(True)
    await expect(field.get_by_test_id("net-status")).to_have_attribute("data-state", "offline")
    await field.get_by_test_id(f"sign-{number}").click()
    await field.get_by_test_id(f"task-{number}").click()
    await field.get_by_test_id("act-en_route").click()
    queued = field.get_by_test_id("queue-count")
    await expect(queued).to_have_attribute("data-count", "2")
    await expect(field.get_by_test_id(f"detail-{number}")).to_have_attribute(
        "data-state", "en_route"
    )
    assert (await incident(console_hub, task["id"]))["state"] == "dispatched"  # nothing sent yet

    await field.context.set_offline(False)
    await expect(queued).to_have_count(0, timeout=LIVE_MS)
    after = await incident(console_hub, task["id"])
    assert after["state"] == "en_route"
    assert [s["action"] for s in after["timeline"]][-2:] == ["sign", "en_route"]
    assert after["timeline"][-1]["data"]["location"] == {"lon": 118.5656, "lat": 36.9263}


async def test_handling_with_a_camera_photo(console_hub: ConsoleHub, browsers: Browsers) -> None:
    field = await field_app(browsers)
    task = await dispatched_task(console_hub, "河堤护栏损坏")
    number = task["number"]
    await field.get_by_test_id(f"sign-{number}").click()
    await field.get_by_test_id(f"task-{number}").click()
    detail = field.get_by_test_id(f"detail-{number}")
    await expect(detail).to_have_attribute("data-state", "signed")

    await field.get_by_test_id("act-handle").click()
    await field.get_by_test_id("act-confirm").click()  # no note yet: refused on the phone
    await expect(field.get_by_text("请填写说明")).to_be_visible()
    await field.get_by_test_id("act-note").fill("护栏已临时加固，已报水利站更换")
    await field.get_by_test_id("act-photo").set_input_files(
        {"name": "rail.png", "mimeType": "image/png", "buffer": png()}
    )
    await expect(field.locator(".photos img")).to_have_count(1)
    await field.get_by_test_id("act-confirm").click()

    await expect(detail).to_have_attribute("data-state", "handled", timeout=LIVE_MS)
    after = await incident(console_hub, task["id"])
    handled = after["timeline"][-1]
    assert (after["state"], handled["action"]) == ("handled", "handle")
    assert handled["note"] == "护栏已临时加固，已报水利站更换"
    worker = await console_hub.token(WORKER)
    sio = socketio.AsyncClient()
    await sio.connect(console_hub.url, auth={"token": worker}, transports=["websocket"])
    try:
        history = await sio.call(
            "channel.history", {"channel_id": after["channel_id"], "limit": 50}, timeout=5
        )
    finally:
        await sio.disconnect()
    photos = [m for m in history["messages"] if m["kind"] == "image"]
    assert [p["body"]["content_type"] for p in photos] == ["image/jpeg"]
    assert photos[0]["sender_id"] == handled["actor_id"]


async def commander_socket(hub: ConsoleHub, username: str = COMMANDER) -> socketio.AsyncClient:
    sio = socketio.AsyncClient()
    token = await hub.token(username)
    await sio.connect(hub.url, auth={"token": token}, transports=["websocket"])
    return sio


async def test_reporting_an_incident_with_category_fields(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    field = await field_app(browsers)
    await field.get_by_test_id("tab-report").click()
    await expect(field.get_by_test_id("report-located")).to_be_visible()
    await field.get_by_test_id("report-category").click()
    await field.locator(".el-select-dropdown__item", has_text="矛盾纠纷").click()
    await input_of(field, "report-title").fill("两户因宅基地边界争执")
    await input_of(field, "field-parties").fill("2")
    await field.get_by_test_id("report-submit").click()
    await expect(field.get_by_test_id("tab-tasks")).to_have_class("on")  # back to the tasks

    found = await console_hub.api("GET", f"{DISPATCH}/incidents?q=宅基地", COMMANDER)
    [summary] = found["items"]
    made = await incident(console_hub, summary["id"])
    assert (made["source"], made["state"], made["category"]) == ("field", "reported", "dispute")
    assert made["fields"] == {"parties": 2}
    assert made["reporter_name"] == "徐桂兰"
    assert (round(made["lat"], 4), round(made["lon"], 4)) == (36.9263, 118.5656)


async def test_location_is_shared_while_on_duty(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    field = await field_app(browsers)
    await field.get_by_test_id("tab-me").click()
    await field.get_by_test_id("duty-switch").click()
    await expect(field.get_by_test_id("duty-fix")).to_have_attribute("data-sent", "1")

    sio = await commander_socket(console_hub)
    try:
        me = await console_hub.api("GET", "/api/v1/auth/me", WORKER)
        track = await sio.call(
            "location.track", {"person_id": me["person_id"], "since": 0}, timeout=5
        )
    finally:
        await sio.disconnect()
    assert track["ok"], track
    assert [(p["lat"], p["lon"], p["accuracy"]) for p in track["points"]] == [
        (36.9263, 118.5656, 12)
    ]


async def test_chat_on_my_grid_channel(console_hub: ConsoleHub, browsers: Browsers) -> None:
    field = await field_app(browsers)
    await field.get_by_test_id("tab-chat").click()
    await field.locator(".chan", has_text="东庄村第一网格").click()
    await input_of(field, "chat-input").fill("东庄桥北侧积水，已到场")
    await field.get_by_test_id("chat-send").click()
    messages = field.get_by_test_id("chat-messages")
    await expect(messages.locator(".msg.me .bubble")).to_have_text("东庄桥北侧积水，已到场")

    sio = await commander_socket(console_hub, WORKER)
    try:
        channels = (await sio.call("channel.list", {}, timeout=5))["channels"]
        grid = next(c for c in channels if c["name"] == "东庄村第一网格")
        history = await sio.call("channel.history", {"channel_id": grid["id"]}, timeout=5)
    finally:
        await sio.disconnect()
    texts = [m["body"].get("text") for m in history["messages"] if m["kind"] == "text"]
    assert texts == ["东庄桥北侧积水，已到场"]


async def test_an_empty_report_marks_the_missing_fields(browsers: Browsers) -> None:
    field = await field_app(browsers)
    await field.get_by_test_id("tab-report").click()
    await field.get_by_test_id("report-submit").click()
    missing = field.locator(".el-form-item.is-error")
    await expect(missing).to_have_count(2)
    await expect(missing.filter(has_text="请选择类别")).to_have_count(1)
    await expect(missing.filter(has_text="请填写标题")).to_have_count(1)
    await input_of(field, "report-title").fill("路面塌陷")
    await expect(missing).to_have_count(1)
    await expect(field.get_by_test_id("tab-report")).to_have_class("on")  # nothing was sent


async def test_calling_someone_offline_from_the_phone_says_so(browsers: Browsers) -> None:
    worker = await field_app(browsers)
    await worker.get_by_test_id("tab-chat").click()
    await worker.locator(".chan", has_text="东庄村").filter(has_not_text="网格").click()
    await worker.get_by_role("button", name="成员").click()
    await worker.get_by_test_id("call-v01.lead").click()  # the leader is not signed in anywhere
    layer = worker.get_by_test_id("call-layer")
    await expect(layer).to_have_attribute("data-outcome", "offline")
    await expect(layer).to_contain_text("对方不在线")
    await expect(layer).not_to_contain_text("正在呼叫")
