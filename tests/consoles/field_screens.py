"""Screenshots of the field app and the residents' page at phone size, for docs/screenshots.

Run against a demo hub (`gridhub demo`, fonts-wqy-zenhei or fonts-noto-cjk installed so that
Chinese renders):

    .venv/bin/python -m tests.consoles.field_screens --url http://127.0.0.1:8080

It dispatches two tasks to w01 over the API, then drives Debian's Chromium through the pages.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

import aiohttp
from playwright.async_api import BrowserContext, Page, async_playwright

from hub.demo_data import DEMO_PASSWORD
from tests.consoles.browser import CHROMIUM, CHROMIUM_ARGS, input_of, screenshot_path, sign_in
from tests.consoles.fieldkit import DISPATCH, phone, png

WORKER_GRID = "370783-001-001-01"


async def api(
    http: aiohttp.ClientSession, url: str, user: str, method: str, path: str, body: Any
) -> Any:
    async with http.post(
        f"{url}/api/v1/auth/login", json={"username": user, "password": DEMO_PASSWORD}
    ) as r:
        token = (await r.json())["access_token"]
    async with http.request(
        method, url + path, json=body, headers={"Authorization": f"Bearer {token}"}
    ) as r:
        assert r.status < 300, await r.text()
        return await r.json()


TASKS = [
    ("东庄桥北侧道路积水严重", "flood", "urgent"),
    ("村委会东侧垃圾堆放", "env_sanitation", "normal"),
]


async def seed(url: str) -> None:
    """Two tasks for w01: an urgent one to sign, one already signed."""
    async with aiohttp.ClientSession() as http:
        me = await api(http, url, "w01", "GET", "/api/v1/auth/me", None)
        assignees = [{"kind": "person", "target": str(me["person_id"])}]
        made = []
        for title, category, priority in TASKS:
            body = {"title": title, "category": category, "priority": priority}
            body |= {
                "grid": WORKER_GRID,
                "address": "东庄村",
                "description": "群众来电反映，请尽快核实处置。",
            }
            one = await api(http, url, "v01.cmd", "POST", f"{DISPATCH}/incidents", body)
            act = f"{DISPATCH}/incidents/{one['id']}/actions/dispatch"
            order: dict[str, Any] = {"version": one["version"], "assignees": assignees}
            made.append(await api(http, url, "v01.cmd", "POST", act, order))
        sign = f"{DISPATCH}/incidents/{made[1]['id']}/actions/sign"
        await api(http, url, "w01", "POST", sign, {"version": made[1]["version"]})


async def shot(page: Page, name: str) -> None:
    await page.locator(".el-message").last.wait_for(state="detached", timeout=8000)
    await page.wait_for_timeout(600)  # let transitions settle before the picture
    path: Path = screenshot_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(path))
    print("wrote", path)


async def field(ctx: BrowserContext) -> None:
    page = await ctx.new_page()
    await page.goto("/field")
    await shot(page, "field-login")
    await sign_in(page, "w01", DEMO_PASSWORD)
    await shot(page, "field-tasks")
    await page.locator("[data-testid^=task-][data-state=signed]").first.click()
    await page.get_by_test_id("act-handle").click()
    await input_of(page, "act-note").fill("积水已排除，已设置警示标志")
    await page.get_by_test_id("act-photo").set_input_files(
        {"name": "a.png", "mimeType": "image/png", "buffer": png(320, 240)}
    )
    await shot(page, "field-handle")
    await page.keyboard.press("Escape")
    await page.get_by_test_id("tab-report").click()
    await page.get_by_test_id("report-located").wait_for()
    await shot(page, "field-report")
    await page.get_by_test_id("tab-chat").click()
    await page.locator(".chan", has_text="东庄村第一网格").click()
    await input_of(page, "chat-input").fill("收到，马上到场")
    await page.get_by_test_id("chat-send").click()
    await shot(page, "field-chat")
    await page.get_by_test_id("tab-tasks").click()
    await ctx.set_offline(True)
    await page.locator("[data-testid^=sign-]").first.click()
    await page.get_by_test_id("queue-count").wait_for()
    await shot(page, "field-offline")
    await page.get_by_test_id("tab-me").click()
    await shot(page, "field-me")
    await ctx.set_offline(False)
    await page.get_by_test_id("queue-count").wait_for(state="detached")


async def residents(ctx: BrowserContext) -> None:
    page = await ctx.new_page()
    await page.goto("/report")
    await page.get_by_test_id("appeal-located").wait_for()
    await page.get_by_test_id("category-road_facility").click()
    await input_of(page, "appeal-title").fill("村口路灯不亮")
    await input_of(page, "appeal-description").fill(
        "村口东侧三盏路灯连续一周晚上不亮，老人孩子夜里出行不安全。"
    )
    await input_of(page, "appeal-name").fill("王大妈")
    await input_of(page, "appeal-phone").fill("13800001234")
    await page.get_by_test_id("appeal-photo").set_input_files(
        {"name": "a.png", "mimeType": "image/png", "buffer": png(320, 240)}
    )
    await page.locator(".photos img").wait_for()
    await page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
    await shot(page, "report-form")
    await page.get_by_test_id("appeal-submit").click()
    await page.get_by_test_id("tracking-code").wait_for()
    await shot(page, "report-filed")
    await page.get_by_test_id("track-now").click()
    await page.get_by_test_id("track-result").wait_for()
    await shot(page, "report-track")


async def main(url: str) -> None:
    await seed(url)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            for run in (field, residents):
                ctx = await browser.new_context(base_url=url, locale="zh-CN", **phone())
                await run(ctx)
                await ctx.close()
        finally:
            await browser.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    asyncio.run(main(parser.parse_args().url.rstrip("/")))
