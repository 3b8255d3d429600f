"""The console's 辖区档案 page in Chromium (zh): a village commander searches a person by name,
sees the ID number and phone masked in the list and on the card, presses 显示 and sees them in
full; the hub wrote one audit entry for that view, none before it. On the console map the
houses layer splits its cluster into single houses as the map is zoomed in."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.async_api import expect

from hub.testing import PASSWORD, RunningHub
from hub.testing.fixtures import StartGridHub
from tests.consoles.browser import Browsers, input_of, require_dist
from tests.consoles.conftest import browsers  # noqa: F401  (a fixture: Chromium on console_hub)
from tests.plugins.archives.conftest import API, BASIC, ID_MAN, ID_WOMAN, OFFICER, add_resident
from tests.plugins.archives.test_layers import add_house

PHONE = "13800001234"


@pytest.fixture
async def console_hub(start_gridhub: StartGridHub) -> RunningHub:
    require_dist()
    hub = await start_gridhub(["archives", "dispatch", "alarms", "escalation"], demo=True)
    await hub.add_person("arch.officer", [(OFFICER, "370783")], display_name="档案员")
    return hub


async def reveals(hub: RunningHub) -> list[dict[str, Any]]:
    admin = await hub.admin()
    found: list[dict[str, Any]] = await admin.json(
        "GET", "/api/v1/audit", params={"action": "archives.resident.reveal"})  # fmt: skip
    return found


async def test_search_masked_list_and_audited_reveal(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    hub = console_hub
    officer = await hub.sign_in("arch.officer")
    basic = await hub.grid_id(BASIC)
    person = await add_resident(officer, basic, ID_MAN, name="张建国", phone=PHONE,
                                tags=["elderly_alone"])  # fmt: skip
    await add_resident(officer, basic, ID_WOMAN, name="李桂芝")

    page = await browsers.signed_in("v01.cmd", PASSWORD, "/console/p/archives/archives")
    await expect(page.get_by_test_id("archives-page")).to_be_visible()
    await expect(page.get_by_test_id("archives-name")).to_have_count(2)
    await input_of(page, "archives-search").fill("张")
    await page.get_by_test_id("archives-go").click()
    await expect(page.get_by_test_id("archives-name")).to_have_count(1)
    await expect(page.get_by_test_id("archives-name")).to_have_text("张建国")
    await expect(page.get_by_test_id("archives-id")).to_have_text("370783********1233")
    await expect(page.get_by_test_id("archives-table")).to_contain_text("138****1234")
    await expect(page.get_by_test_id("archives-table")).to_contain_text("独居老人")
    await expect(page.get_by_test_id("archives-page")).not_to_contain_text(ID_MAN)

    await page.get_by_test_id("archives-name").click()
    card = page.get_by_test_id("archives-card")
    await expect(card.get_by_test_id("card-id")).to_have_text("370783********1233")
    assert await reveals(hub) == []
    await card.get_by_test_id("card-reveal").click()
    await expect(card.get_by_test_id("card-id")).to_have_text(ID_MAN)
    await expect(card.get_by_test_id("card-phone")).to_have_text(PHONE)
    await expect(card).to_contain_text("本次查看已记入审计日志")
    [entry] = await reveals(hub)
    assert entry["actor"] == "v01.cmd"
    assert entry["target_id"] == str(person["id"])
    assert (await officer.json("GET", f"{API}/residents/{person['id']}"))["masked"] is True


async def test_zooming_the_map_splits_the_houses_cluster(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    """The houses layer follows the map (a viewport layer): three houses clustered where the
    map first settles, the three single houses once zoomed in to street level."""
    officer = await console_hub.sign_in("arch.officer")
    basic = await console_hub.grid_id(BASIC)
    page = await browsers.signed_in("v01.cmd", PASSWORD, "/console")
    live_map = page.get_by_test_id("live-map")
    await expect(live_map).to_have_attribute("data-view", re.compile(r"\d"))  # grids fitted
    lat, lng, _ = (
        float(part) for part in (await live_map.get_attribute("data-view") or "").split(",")
    )
    made = [await add_house(officer, basic, f"ZOOM-{n}", lng + n * 0.0003, lat) for n in range(3)]

    drawn = page.locator("path.gh-plugin-layer-archives-houses")
    async with page.expect_response(lambda r: "/houses.geojson?" in r.url) as first:
        await page.get_by_test_id("layer-plugin-archives-houses").click()
    clusters = (await (await first.value).json())["features"]
    # one cluster, or two when the houses straddle a cell's edge
    assert {f["properties"]["kind"] for f in clusters} == {"cluster"}
    assert sum(f["properties"]["count"] for f in clusters) == 3
    assert len(clusters) < 3
    await expect(drawn).to_have_count(len(clusters))

    async with page.expect_response(lambda r: street_level(r.url)) as last:
        while float((await live_map.get_attribute("data-view") or "").split(",")[2]) < 15.5:
            shown = await live_map.get_attribute("data-view") or ""
            await page.locator(".leaflet-control-zoom-in").click()
            await expect(live_map).not_to_have_attribute("data-view", shown)
    singles = (await (await last.value).json())["features"]
    assert sorted(f["properties"]["id"] for f in singles) == [h["id"] for h in made]
    await expect(drawn).to_have_count(3)


def street_level(url: str) -> bool:
    """A houses layer read at zoom 16 or more (the console rounds its zoom)."""
    query = parse_qs(urlsplit(url).query)
    return "/houses.geojson" in url and int(query.get("zoom", ["0"])[0]) >= 16
