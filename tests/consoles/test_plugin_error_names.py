"""A plugin bundle names its error codes (registerErrorNames from `@gridhub/host`): showError
then shows them in the page's language, and a code the core names keeps the core's name."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.consoles.browser import Browsers
from tests.consoles.conftest import COMMANDER, PASSWORD

DESKTOP = {"width": 1600, "height": 900}
# what a plugin's bundle does when the page loads it (the host module of the import map)
REGISTER = """async () => {
  const host = await import('@gridhub/host')
  host.registerErrorNames({
    'mediation.case_closed': ['调解已结束', 'The mediation is closed'],
    'auth.locked': ['被改名', 'Renamed'],
    'mediation.broken': ['只有一个名字'],
  })
}"""
SHOW = """async (code) => {
  const host = await import('@gridhub/host')
  host.showError(new host.HubError({ code, message: 'english from the hub' }, 409))
}"""


async def toast(page: Page, code: str, words: str) -> None:
    await page.evaluate(SHOW, code)
    await expect(page.locator(".el-message--error", has_text=words).last).to_be_visible()


async def test_a_plugins_codes_are_shown_by_name_in_either_language(browsers: Browsers) -> None:
    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console", viewport=DESKTOP)
    await page.evaluate(REGISTER)
    await toast(page, "mediation.case_closed", "调解已结束")
    await toast(page, "auth.locked", "登录失败次数过多")  # the core's name stays
    await toast(page, "mediation.broken", "english from the hub (mediation.broken)")
    await page.get_by_role("button", name="English").click()
    await toast(page, "mediation.case_closed", "The mediation is closed")
