"""Screenshots of the commander console for the docs: `python -m consoles.screenshots [OUT]`.

Starts a demo-county hub (dispatch, alarms, escalation) on a free loopback port in a temporary
data dir, brings it to life with real clients (workers online with positions and a track,
devices raising alarms, incidents in every stage, an SOS, chat), then drives Debian's Chromium
through Playwright and saves one PNG per main screen to OUT (default docs/screenshots).
Needs the built consoles (scripts/setup) and the dev dependencies (playwright).
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import socketio
from aiohttp import web
from playwright.async_api import Page, ViewportSize, async_playwright, expect

from consoles.serve import DIST
from hub.app import build_app
from hub.cli import with_demo_base_map
from hub.demo_data import DEMO_PASSWORD
from hub.runtime import open_core, seed_demo
from hub.settings import Settings
from plugins.alarms.client import DeviceClient
from plugins.alarms.plugin import AlarmsPlugin
from plugins.dispatch import DispatchPlugin
from plugins.escalation import EscalationPlugin

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
VIEWPORT: ViewportSize = {"width": 1600, "height": 900}
COMMANDER = "county.cmd"
WORKERS = [f"w{n:02d}" for n in range(1, 25)]
INCIDENTS = [  # (title, category, worker, how far it gets)
    ("东庄桥下垃圾堆放", "env_sanitation", "w01", "signed"),
    ("村西头井盖缺失", "env_sanitation", "w02", "dispatched"),
    ("河堤护栏损坏", "env_sanitation", "w08", "handled"),
    ("广场路灯不亮", "env_sanitation", "w03", "closed"),
    ("小区门口占道经营", "env_sanitation", "w05", "en_route"),
    ("农田灌溉渠堵塞", "env_sanitation", "w09", "registered"),
    ("独居老人需要探访", "env_sanitation", "w04", "closed"),
    ("沿街店铺消防通道堵塞", "env_sanitation", "w06", "registered"),
    ("村道坑洼积水", "env_sanitation", "w07", "dispatched"),
]
STEPS = ["registered", "dispatched", "signed", "en_route", "handled", "verified", "closed"]


class Hub:
    """HTTP and socket calls to the running hub as demo users."""

    def __init__(self, base: str, http: aiohttp.ClientSession) -> None:
        self.base, self.http = base, http
        self.tokens: dict[str, str] = {}
        self.sockets: list[socketio.AsyncClient] = []

    async def token(self, username: str) -> str:
        if username not in self.tokens:
            body = {"username": username, "password": DEMO_PASSWORD}
            async with self.http.post(f"{self.base}/api/v1/auth/login", json=body) as response:
                self.tokens[username] = (await response.json())["access_token"]
        return self.tokens[username]

    async def api(self, method: str, path: str, username: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {await self.token(username)}"}
        async with self.http.request(method, self.base + path, json=body, headers=headers) as r:
            data = await r.json() if r.status != 204 else None
            if r.status >= 300:
                raise RuntimeError(f"{method} {path}: {r.status} {data}")
            return data

    async def socket(self, username: str) -> socketio.AsyncClient:
        sio = socketio.AsyncClient()
        await sio.connect(self.base, auth={"token": await self.token(username)},
                          transports=["websocket"])  # fmt: skip
        self.sockets.append(sio)
        return sio

    async def close(self) -> None:
        for sio in self.sockets:
            await sio.disconnect()


async def bring_to_life(hub: Hub, keys: dict[str, str]) -> list[DeviceClient]:
    """Workers online with positions, alarms, incidents in every stage, an SOS and chat."""
    grids = {g["id"]: g for g in await hub.api("GET", "/api/v1/grids", COMMANDER)}
    await _workers(hub, grids)
    devices = await _alarms(hub, keys)
    await incidents_in_every_stage(hub)
    await _chat(hub)
    sos_socket = await hub.socket("w14")
    await sos_socket.call("escalation.sos.raise", {"note": "河边滑倒，腿部受伤"}, timeout=5)
    lone = await hub.socket("w02")  # on a timed check-in (the SOS panel lists who is)
    await lone.call("escalation.checkin.start", {"task": "水库大坝巡查", "interval_s": 1800})
    return devices


async def _workers(hub: Hub, grids: dict[int, dict[str, Any]]) -> None:
    for number, username in enumerate(WORKERS):
        if number % 5 == 4:
            continue  # some stay offline
        me = await hub.api("GET", "/api/v1/auth/me", username)
        grid = grids.get(me["roles"][0]["grid_id"])
        if grid is None or grid["centre"] is None:
            continue
        lon, lat = grid["centre"]
        sio = await hub.socket(username)
        await sio.call("presence.set", {"state": "busy" if number % 3 == 2 else "online"})
        now = time.time()
        steps = 12 if username == "w01" else 1  # w01 has a track to play back
        for step in range(steps):
            at = now - (steps - 1 - step) * 300
            point = {"lat": lat + 0.0012 * step, "lon": lon + 0.0009 * (step % 4), "at": at,
                     "battery": 80 - step, "accuracy": 8}  # fmt: skip
            await sio.call("location.report", point)


async def _alarms(hub: Hub, keys: dict[str, str]) -> list[DeviceClient]:
    made = []
    for code, alarm, severity, message in (
        ("dev-gas-02", "gas_leak", "CRITICAL", "燃气浓度 1250 ppm"),
        ("dev-wl-01", "high_water", "MAJOR", "水位 3.45 m，超警戒"),
        ("dev-smoke-01", "smoke", "MINOR", "烟感轻微报警"),
    ):
        device = DeviceClient(hub.base, code, keys[code])
        await device.connect()
        await device.wait_acked(await device.alarm(alarm, severity, message=message))
        made.append(device)
    return made


async def incidents_in_every_stage(hub: Hub) -> None:
    """INCIDENTS, each taken as far as its goal by the commander and its worker."""
    grid_of = {"w01": "370783-001-001-01", "w02": "370783-001-001-02",
               "w03": "370783-001-001-03", "w04": "370783-001-001-04",
               "w05": "370783-001-001-05", "w06": "370783-001-002-01",
               "w07": "370783-001-002-02", "w08": "370783-001-002-03",
               "w09": "370783-001-002-04"}  # fmt: skip
    for title, category, worker, goal in INCIDENTS:
        body = {"title": title, "category": category, "grid": grid_of[worker],
                "priority": "urgent" if "消防" in title else "normal"}  # fmt: skip
        incident = await hub.api("POST", "/api/v1/dispatch/incidents", COMMANDER, body)
        for step in STEPS[1 : STEPS.index(goal) + 1]:
            incident = await _advance(hub, incident, step, worker)


async def _advance(hub: Hub, incident: dict[str, Any], step: str, worker: str) -> Any:
    me = await hub.api("GET", "/api/v1/auth/me", worker)
    moves: dict[str, tuple[str, str, dict[str, Any]]] = {
        "dispatched": ("dispatch", COMMANDER,
                       {"assignees": [{"kind": "person", "target": str(me["person_id"])}]}),
        "signed": ("sign", worker, {}),
        "en_route": ("en_route", worker, {}),
        "handled": ("handle", worker, {"note": "已处理完毕"}),
        "verified": ("verify", COMMANDER, {"passed": True}),
        "closed": ("close", COMMANDER, {}),
    }  # fmt: skip
    action, actor, extra = moves[step]
    path = f"/api/v1/dispatch/incidents/{incident['id']}/actions/{action}"
    return await hub.api("POST", path, actor, {"version": incident["version"], **extra})


async def _chat(hub: Hub) -> None:
    """A few messages in the county's grid channel, which the commander is a member of."""
    commander = await hub.socket(COMMANDER)
    channels = (await commander.call("channel.list", {}))["channels"]
    county = next(c for c in channels if c["kind"] == "grid")
    worker = await hub.socket("w01")
    for n, (sio, text) in enumerate((
        (worker, "东庄桥下垃圾已清理一半，需要一辆清运车"),
        (commander, "收到，清运车半小时后到，注意现场安全"),
        (worker, "好的，我在桥北侧等候"),
    )):  # fmt: skip
        await sio.call("channel.send", {"channel_id": county["id"], "client_msg_id": f"shot-{n}",
                                        "kind": "text", "body": {"text": text}})  # fmt: skip


async def shoot(base: str, out: Path) -> list[Path]:
    saved: list[Path] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = await browser.new_context(base_url=base, viewport=VIEWPORT, locale="zh-CN")
        page = await context.new_page()
        await page.goto("/console")
        await page.get_by_test_id("login-username").wait_for()
        saved.append(await _save(page, out, "console-login"))
        await _sign_in(page)
        for name, action in SCREENS:
            try:
                await action(page)
            except Exception:
                await _save(page, out, f"failed-{name}")
                raise
            await page.wait_for_timeout(800)  # let charts and map transitions finish drawing
            saved.append(await _save(page, out, name))
        await browser.close()
    return saved


async def _sign_in(page: Page) -> None:
    await page.locator('[data-testid="login-username"]').fill(COMMANDER)
    await page.locator('[data-testid="login-password"]').fill(DEMO_PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await page.wait_for_selector('body[data-gh-socket="connected"]', state="attached")


async def _map(page: Page) -> None:
    await page.wait_for_selector('[data-testid="live-map"]:not([data-grid-count="0"])')
    await page.locator('[data-testid^="person-"]').first.wait_for()
    await page.locator(".gh-base-map img.leaflet-tile-loaded").first.wait_for()
    await expect(page.locator(".gh-base-map img:not(.leaflet-tile-loaded)")).to_have_count(0)


async def _board(page: Page) -> None:
    await page.get_by_test_id("nav-incidents").click()
    await page.locator('[data-testid^="incident-card-"]').first.wait_for()


async def _drawer(page: Page) -> None:
    await page.locator('[data-testid^="incident-card-"][data-state="signed"]').first.click()
    await page.get_by_test_id("timeline").wait_for()


async def _dispatch(page: Page) -> None:
    await page.keyboard.press("Escape")
    await page.locator('[data-testid^="incident-card-"][data-state="registered"]').first.click()
    await page.get_by_test_id("act-dispatch").click()
    await page.locator('[data-testid^="suggest-"]').first.click()


async def _alarms_screen(page: Page) -> None:
    await page.keyboard.press("Escape")
    await page.keyboard.press("Escape")
    await page.get_by_test_id("nav-alarms").click()
    await page.locator('[data-testid^="alarm-row-"]').first.click()  # with its detail open
    await page.get_by_test_id("alarm-detail").wait_for()


async def _channels(page: Page) -> None:
    await page.get_by_test_id("nav-channels").click()
    await page.get_by_test_id("chat-message").first.wait_for()


async def _calls(page: Page) -> None:
    await page.get_by_test_id("nav-calls").click()
    await page.locator('[data-testid^="call-person-"]').first.wait_for()


async def _screen(page: Page) -> None:
    await page.goto("/console/screen")
    await page.wait_for_selector('[data-testid="big-screen"]:not([data-refreshes="0"])')


SCREENS = [
    ("console-map", _map),
    ("console-incidents", _board),
    ("console-incident-drawer", _drawer),
    ("console-dispatch", _dispatch),
    ("console-alarms", _alarms_screen),
    ("console-channels", _channels),
    ("console-calls", _calls),
    ("console-screen", _screen),
]


async def _save(page: Page, out: Path, name: str) -> Path:
    path = out / f"{name}.png"
    await page.screenshot(path=str(path), animations="disabled")  # not caught mid-blink
    return path


@asynccontextmanager
async def demo_hub(data_dir: Path) -> AsyncIterator[str]:
    """A seeded demo hub with every plugin on 127.0.0.1 (a free port); yields its URL."""
    fast = {"hash_time_cost": 1, "hash_memory_kib": 1024, "hash_parallelism": 1}
    # No group calls in the pictures: no worker process ([media] is a component's table).
    tables: dict[str, Any] = {"media": {"embedded_workers": 0}}
    settings = Settings(data_dir=data_dir, auth=fast, log_json=False, **tables)
    settings = with_demo_base_map(settings)  # the demo's own base map, as `gridhub demo` draws
    async with open_core(settings) as core:
        await seed_demo(core, data_dir)
    plugins = {"dispatch": DispatchPlugin(), "alarms": AlarmsPlugin(),
               "escalation": EscalationPlugin()}  # fmt: skip
    runner = web.AppRunner(build_app(settings, available_plugins=plugins))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def take(out: Path, data_dir: Path) -> None:
    async with demo_hub(data_dir) as base, aiohttp.ClientSession() as http:
        keys = json.loads(await asyncio.to_thread((data_dir / "demo-device-keys.json").read_text))
        hub = Hub(base, http)
        devices = await bring_to_life(hub, keys)
        try:
            for path in await shoot(base, out):
                print(path)
        finally:
            for device in devices:
                await device.close()
            await hub.close()


def main(out: Path = OUT) -> None:
    if not (DIST / "console.html").is_file():
        raise SystemExit(f"{DIST} is missing: run scripts/setup first")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gridhub-shots-") as tmp:
        asyncio.run(take(out, Path(tmp)))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
