"""The commander console in Chromium: sign-in, the demo county on the map."""

from __future__ import annotations

from tests.consoles.browser import Browsers
from tests.consoles.conftest import COMMANDER, PASSWORD


async def test_commander_signs_in(browsers: Browsers) -> None:
    page = await browsers.signed_in(COMMANDER, PASSWORD)
    assert await page.evaluate("document.body.dataset.ghUser") == COMMANDER
