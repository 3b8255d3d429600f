"""The field app's 党员 and 学习 tabs for someone who is not a party member (Debian's Chromium):
a grid worker sees that they are not a registered member, with no error in the browser (the
hub answers `{"member": false}`, not a 403); once registered, the same phone shows their
record. The `browsers` fixture fails the test on any console error."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from hub.testing import PASSWORD, RunningHub
from hub.testing.fixtures import StartGridHub
from tests.consoles import fieldkit
from tests.consoles.browser import Browsers, require_dist
from tests.consoles.conftest import browsers  # noqa: F401  (a fixture: Chromium on console_hub)
from tests.plugins.party.conftest import API


@pytest.fixture
async def console_hub(start_gridhub: StartGridHub) -> RunningHub:
    require_dist()
    return await start_gridhub(["party", "dispatch"], demo=True)


async def test_a_worker_who_is_not_a_member_sees_so_without_errors_then_their_record(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    phone = await browsers.signed_in("w01", PASSWORD, "/field", **fieldkit.phone())
    await phone.get_by_test_id("tab-plugin-party-member").click()
    tab = phone.get_by_test_id("party-member-tab")
    await expect(tab.get_by_test_id("party-not-member")).to_contain_text("您不是登记在册的党员")
    await phone.get_by_test_id("tab-plugin-party-study").click()
    study = phone.get_by_test_id("party-study-tab")
    await expect(study.get_by_test_id("party-not-member")).to_be_visible()

    town = await console_hub.sign_in("town1.cmd")
    branch = await town.json(
        "POST",
        f"{API}/orgs",
        json={"name": "东庄村党支部", "kind": "branch",
              "grid_id": await console_hub.grid_id("370783-001-001-P01")},
    )  # fmt: skip
    await town.json(
        "POST",
        f"{API}/members",
        json={"org_id": branch["id"], "name": "张秀英", "join_date": "2001-07-01",
              "person_id": await console_hub.person_id("w01")},
    )  # fmt: skip
    await phone.reload()
    await phone.get_by_test_id("tab-plugin-party-member").click()
    tab = phone.get_by_test_id("party-member-tab")
    await expect(tab).to_contain_text("张秀英")
    await expect(tab.get_by_test_id("party-my-points")).to_have_text("0")
    await expect(tab.get_by_test_id("party-not-member")).to_have_count(0)
    await phone.get_by_test_id("tab-plugin-party-study").click()
    study = phone.get_by_test_id("party-study-tab")
    await expect(study.get_by_test_id("party-not-member")).to_have_count(0)
