"""The field app's 走访 tab in Chromium, phone-sized: w01 sees who is due in their grid, records
a visit with a note, a photo and the phone's position while offline; it waits on the phone and
reaches the hub once the connection is back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.async_api import expect

from hub.testing import PASSWORD, RunningHub
from hub.testing.fixtures import StartGridHub
from tests.consoles.browser import Browsers, input_of, require_dist
from tests.consoles.conftest import browsers  # noqa: F401  (a fixture: Chromium on console_hub)
from tests.consoles.fieldkit import phone, png
from tests.plugins.archives.conftest import API, BASIC, ID_WOMAN, OFFICER, add_resident

LIVE_MS = 10_000


@pytest.fixture
async def console_hub(start_gridhub: StartGridHub) -> RunningHub:
    require_dist()
    hub = await start_gridhub(["archives", "dispatch"], demo=True)
    await hub.add_person("arch.officer", [(OFFICER, "370783")], display_name="档案员")
    return hub


async def history(hub: RunningHub, resident_id: int) -> list[dict[str, Any]]:
    officer = await hub.sign_in("arch.officer")
    params = {"subject_type": "person", "subject_id": str(resident_id)}
    found: dict[str, Any] = await officer.json("GET", f"{API}/visits", params=params)
    return list(found["items"])


async def test_a_visit_recorded_offline_is_sent_when_the_phone_is_back_online(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    hub = console_hub
    officer, worker = await hub.sign_in("arch.officer"), await hub.sign_in("w01")
    elder = await add_resident(
        officer, await hub.grid_id(BASIC), ID_WOMAN, name="李桂芝", tags=["elderly_alone"]
    )
    rid = elder["id"]
    last = (datetime.now(UTC) - timedelta(days=8)).isoformat()
    await worker.json(
        "POST",
        f"{API}/visits",
        json={
            "subject_type": "person",
            "subject_id": rid,
            "client_id": "visit-old-0001",
            "visited_at": last,
        },
    )

    browsers.errors.ignored.append("net::ERR_INTERNET_DISCONNECTED")
    field = await browsers.signed_in("w01", PASSWORD, "/field", **phone())
    await field.get_by_test_id("tab-plugin-archives-visits").click()
    item = field.get_by_test_id(f"visit-item-person-{rid}")
    await expect(item).to_contain_text("李桂芝", timeout=LIVE_MS)
    await expect(item).to_contain_text("已到期")

    # Online, from the visit's form: a new phone number goes to the village for review.
    await item.click()
    await field.get_by_test_id("propose-open").click()
    await input_of(field, "propose-value").fill("13966668888")
    await field.get_by_test_id("propose-send").click()
    await expect(field.get_by_text("已提交，待村（镇）审核")).to_be_visible()
    pending = await worker.json("GET", f"{API}/changes", params={"state": "pending"})
    assert [(c["target_id"], c["fields"]) for c in pending["items"]] == [
        (rid, {"phone": "139****8888"})
    ]

    await field.context.set_offline(True)
    await input_of(field, "visit-note").fill("老人身体尚好，已送米面")
    await field.get_by_test_id("visit-photo").set_input_files(
        {"name": "visit.png", "mimeType": "image/png", "buffer": png()}
    )
    await expect(field.locator(".thumbs img")).to_have_count(1)
    await field.get_by_test_id("visit-locate").click()
    await expect(field.get_by_test_id("visit-position")).to_contain_text("36.92630")
    await field.get_by_test_id("visit-submit").click()
    queued = field.get_by_test_id("visit-queued")
    await expect(queued).to_contain_text("1 条走访记录待上传")
    await expect(item).to_have_count(0)  # off the due list while it waits
    assert [v["client_id"] for v in await history(hub, rid)] == ["visit-old-0001"]

    await field.context.set_offline(False)
    await expect(queued).to_have_count(0, timeout=LIVE_MS)
    newest, old = await history(hub, rid)
    assert old["client_id"] == "visit-old-0001"
    assert (newest["note"], newest["lat"], newest["lon"]) == (
        "老人身体尚好，已送米面",
        36.9263,
        118.5656,
    )
    photos = await worker.json("GET", f"{API}/visits/{newest['id']}/photos")
    assert len(photos["items"]) == 1
