"""Chromium (the callee) and an aiortc peer (the caller) in a 1:1 call through the hub.

Not collected on its own (no test_ prefix): tests/signaling/test_browser.py runs this file
with pytest inside a network namespace that has only `lo` up, so no packet can take any other
address of the machine. It refuses to run anywhere else.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import BrowserContext, async_playwright

from loadtests.tone import Tone
from tests.hub.conftest import StartHub, bearer, login
from tests.hub.sockets import connect
from tests.signaling.conftest import CALLS
from tests.signaling.rtc import Side, frames

ROOT = Path(__file__).resolve().parents[2]
PAGE = Path(__file__).with_name("web") / "call.html"
SOCKET_IO = ROOT / "consoles/web/node_modules/socket.io-client/dist/socket.io.min.js"
INSIDE = "GRIDHUB_SIGNALING_NETNS"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--allow-loopback-in-peer-connection",
]
DEADLINE_S = 30.0


def only_loopback() -> bool:
    links = subprocess.run(["ip", "-o", "link", "show", "up"], capture_output=True, text=True)
    names = [line.split(":")[1].strip() for line in links.stdout.splitlines()]
    return names == ["lo"]


@pytest.fixture
async def page_origin(aiohttp_server: Any) -> str:
    """A static server for the test page and the socket.io client from the consoles build."""
    app = web.Application()
    app.router.add_get("/", lambda _: web.FileResponse(PAGE))
    app.router.add_get("/socket.io.min.js", lambda _: web.FileResponse(SOCKET_IO))
    server = await aiohttp_server(app, host="127.0.0.1")
    return f"http://127.0.0.1:{server.port}"


@pytest.fixture
async def chromium() -> AsyncIterator[BrowserContext]:
    with tempfile.TemporaryDirectory(prefix="gridhub-chromium-") as profile:
        async with async_playwright() as driver:
            context = await driver.chromium.launch_persistent_context(
                profile, executable_path="/usr/bin/chromium", headless=True, args=FLAGS
            )
            yield context
            await context.close()


async def test_chromium_and_aiortc_talk_through_the_hub(
    start_hub: StartHub, page_origin: str, chromium: BrowserContext, peers: list[Any]
) -> None:
    assert os.environ.get(INSIDE), "run by tests/signaling/test_browser.py only"
    assert only_loopback(), "must run in a network namespace with only lo up"
    assert SOCKET_IO.exists(), "consoles/web is not installed (scripts/setup)"
    hub = await start_hub(calls=CALLS, realtime={"cors_origins": [page_origin]})
    lead_token = await login(hub.client, "v01.lead")
    worker_token = await login(hub.client, "w01")
    page = await chromium.new_page()
    await page.goto(page_origin)
    hub_url = str(hub.client.make_url("/")).rstrip("/")
    await page.evaluate("([url, token]) => window.join(url, token)", [hub_url, worker_token])
    caller = await connect(hub.client, lead_token)
    peers.append(caller)
    worker_id = await _me(hub.client, worker_token)
    invite = {"callee_id": worker_id, "media": "audio", "client_call_id": "browser-1"}
    call_id = (await caller.ok("call.invite", invite))["call_id"]
    await caller.next("call.state", lambda d: d["state"] == "active")
    side = Side(caller, call_id, [Tone(440.0)])
    try:
        side.start()
        await side.offer()
        track = await asyncio.wait_for(side.tracks["audio"], DEADLINE_S)
        got = await asyncio.wait_for(frames(track, 50), DEADLINE_S)
        assert len(got) == 50  # a second of the fake microphone reached aiortc
        report = await _browser_hears(page)
        side.assert_loopback()
    finally:
        await side.close()
    log = await page.evaluate("window.log")
    assert log["errors"] == []
    assert log["accepted"]["ok"] is True
    assert report["pair"] == ["127.0.0.1", "127.0.0.1"]
    assert set(report["localAddresses"]) == {"127.0.0.1"}
    assert report["outbound"] > 0


async def _browser_hears(page: Any, packets: int = 50) -> dict[str, Any]:
    """Chromium's stats once it has received `packets` audio packets (bounded polling)."""
    for _ in range(int(DEADLINE_S / 0.1)):
        report: dict[str, Any] = await page.evaluate("window.report()")
        if report["inbound"] >= packets and report["pair"]:
            return report
        await asyncio.sleep(0.1)
    raise AssertionError(f"Chromium received too little audio: {report}")


async def _sees_video(page: Any) -> None:
    """Bounded polling of Chromium's stats until it decoded 10 video frames."""
    for _ in range(int(DEADLINE_S / 0.1)):
        report: dict[str, Any] = await page.evaluate("window.report()")
        if report["video"] >= 10:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no video decoded: {report}")


async def _me(client: Any, token: str) -> int:
    me = await client.get("/api/v1/auth/me", headers=bearer(token))
    return int((await me.json())["person_id"])


async def test_two_chromium_pages_through_ice_restart_and_glare(
    start_hub: StartHub, page_origin: str, chromium: BrowserContext
) -> None:
    assert os.environ.get(INSIDE), "run by tests/signaling/test_browser.py only"
    assert only_loopback(), "must run in a network namespace with only lo up"
    hub = await start_hub(calls=CALLS, realtime={"cors_origins": [page_origin]})
    lead_token, worker_token = await login(hub.client, "v01.lead"), await login(hub.client, "w01")
    hub_url = str(hub.client.make_url("/")).rstrip("/")
    callee, caller = await chromium.new_page(), await chromium.new_page()
    for page in (callee, caller):
        await page.goto(page_origin)
    await callee.evaluate("([url, token]) => window.join(url, token)", [hub_url, worker_token])
    worker_id = await _me(hub.client, worker_token)
    await caller.evaluate(
        "([url, token, id]) => window.call(url, token, id)", [hub_url, lead_token, worker_id]
    )
    before = [await _browser_hears(page) for page in (caller, callee)]
    callee_ufrag = await callee.evaluate(UFRAG)
    await caller.evaluate("window.restart()")
    log = await caller.evaluate("window.log")
    assert log["ufragBefore"] != log["ufragAfter"]
    # Media keeps flowing over the restarted connection, still loopback to loopback.
    for page, earlier in zip((caller, callee), before, strict=True):
        after = await _browser_hears(page, earlier["inbound"] + 50)
        assert after["pair"] == ["127.0.0.1", "127.0.0.1"]
        assert after["ice"] in ("connected", "completed")
    assert await callee.evaluate(UFRAG) != callee_ufrag  # the answer carried new credentials
    assert "restart" in (await callee.evaluate("window.log"))["signals"]
    # Glare while adding video: both pages offer their camera at once; one offer wins, the
    # other side rolls back, answers, then offers again. Both end up seeing video.
    await asyncio.gather(*(page.evaluate("window.prepareVideo()") for page in (caller, callee)))
    acks = await asyncio.gather(
        *(page.evaluate("window.sendPrepared()") for page in (caller, callee))
    )
    assert sorted(ack["ok"] for ack in acks) == [False, True]
    assert [ack["error"]["code"] for ack in acks if not ack["ok"]] == ["call.glare"]
    for page in (caller, callee):
        await _sees_video(page)
        assert (await page.evaluate("window.log"))["errors"] == []


UFRAG = "window.pc.localDescription.sdp.split('\\r\\n').find((l) => l.startsWith('a=ice-ufrag:'))"
