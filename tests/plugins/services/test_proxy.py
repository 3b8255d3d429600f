"""Government-service proxy: a resident's request through dispatch to the resident's rating,
and the hand-off to an external system over a signed, retried webhook."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from hub.keys import BUS
from hub.testing import HubClient, RunningHub, SocketClient
from hub.testing.fixtures import StartGridHub
from plugins.dispatch.messages import IncidentChanged
from tests.plugins.services.conftest import API, VILLAGE, services_hub

BASIC = f"{VILLAGE}-01"  # 东庄村第一网格: w01 works there
SECRET = "s3cret-for-tests"
CATEGORY = {"code": "gov_service", "name_zh": "政务代办", "name_en": "Government service proxy"}
ITEM = {
    "code": "pension_cert",
    "name_zh": "养老保险待遇资格认证",
    "name_en": "Pension eligibility check",
    "department": "人社所",
    "documents": ["身份证", "社保卡"],
}


@dataclass
class Receiver:
    """A local government system's webhook endpoint: fails `failures` times, then takes it."""

    failures: int
    url: str = ""
    seen: asyncio.Queue[tuple[dict[str, str], bytes, int]] = field(default_factory=asyncio.Queue)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        status = 503 if self.failures > 0 else 200
        self.failures -= 1
        await self.seen.put((dict(request.headers), body, status))
        return web.json_response({"ok": status == 200}, status=status)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver(failures=2)
    app = web.Application()
    app.router.add_post("/intake", found.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    found.url = f"http://{host}:{port}/intake"
    yield found
    await runner.cleanup()


async def proxy_hub(
    start: StartGridHub, url: str = "http://127.0.0.1:9/none", **options: Any
) -> RunningHub:
    services = {
        "proxy_category": "gov_service",
        "handoff_adapter": "webhook",
        "webhook_url": url,
        "webhook_secret": SECRET,
        "retry_base_s": 0.05,
    }
    hub = await services_hub(
        start, "dispatch", services=services, timers={"poll_s": 0.05}, **options
    )
    admin = await hub.admin()
    await admin.json("PUT", "/api/v1/dispatch/categories/gov_service", json=CATEGORY)
    return hub


async def file_request(hub: RunningHub, item_id: int, **fields: Any) -> dict[str, Any]:
    body = {
        "item_id": item_id,
        "grid_id": await hub.grid_id(BASIC),
        "mode": "full",
        "name": "李桂芝",
        "phone": "13912345678",
        "details": "腿脚不便，请上门代办",
        **fields,
    }
    filed: dict[str, Any] = await hub.anonymous().json("POST", f"{API}/public/proxy", json=body)
    return filed


async def act(who: HubClient, incident: dict[str, Any], action: str, **body: Any) -> Any:
    path = f"/api/v1/dispatch/incidents/{incident['id']}/actions/{action}"
    return await who.json("POST", path, json={"version": incident["version"], **body})


async def state_of(watch: SocketClient, state: str) -> dict[str, Any]:
    found: dict[str, Any] = await watch.next("services.proxy", lambda e: e["state"] == state)
    return found


async def test_a_proxy_request_through_dispatch_to_rating(start_gridhub: StartGridHub) -> None:
    hub = await proxy_hub(start_gridhub)
    item = await (await hub.admin()).json("PUT", f"{API}/items", json=ITEM)
    watch = await hub.socket("v01.cmd")
    filed = await file_request(hub, item["id"])
    assert filed["state"] == "submitted"
    assert filed["item"]["documents"] == ["身份证", "社保卡"]
    reported = await state_of(watch, "reported")
    commander = await hub.sign_in("v01.cmd")
    incident = await commander.json("GET", f"/api/v1/dispatch/incidents/{reported['incident_id']}")
    assert (incident["category"], incident["source"]) == ("gov_service", "services.proxy")
    assert "13912345678" not in str(incident)  # the applicant's phone stays with the request
    worker = await hub.sign_in("w01")
    w01 = await hub.person_id("w01")
    incident = await act(commander, incident, "register")
    incident = await act(
        commander, incident, "dispatch", assignees=[{"kind": "person", "target": str(w01)}]
    )
    incident = await act(worker, incident, "sign")
    await act(worker, incident, "handle", note="已代办完成，证件已送回")
    handled = await state_of(watch, "handled")
    assert handled["helper_id"] == w01

    resident = hub.anonymous()
    track = f"{API}/public/proxy/{filed['tracking_code']}"
    progress = await resident.json("GET", track)
    assert (progress["state"], progress["can_rate"]) == ("handled", True)
    assert progress["incident_number"] == incident["number"]
    rated = await resident.json("POST", f"{track}/rating", json={"rating": 5, "comment": "很满意"})
    assert (rated["rating"], rated["can_rate"]) == (5, False)
    assert await resident.refused("POST", f"{track}/rating", json={"rating": 1}) == (
        409,
        "services.already_rated",
    )
    helpers = await commander.json("GET", f"{API}/proxy/helpers")
    assert helpers["helpers"] == [
        {
            "helper_id": w01,
            "name": helpers["helpers"][0]["name"],
            "requests": 1,
            "rated": 1,
            "average": 5.0,
        }
    ]
    listed = (await commander.json("GET", f"{API}/proxy/requests"))["requests"]
    assert [(r["phone"], r["rating"]) for r in listed] == [("139****5678", 5)]

    # A late, repeated message of an earlier step (the bus delivers at least once) changes nothing.
    stale = IncidentChanged(
        incident_id=incident["id"],
        number=incident["number"],
        action="sign",
        state="signed",
        previous_state="dispatched",
        grid_id=incident["grid_id"],
        category="gov_service",
        priority="normal",
        source="services.proxy",
        source_ref=f"proxy:{listed[0]['id']}",
        actor_id=w01 + 1000,
        version=1,
    )
    await hub.app[BUS].publish(stale)
    await hub.settle()
    assert (await resident.json("GET", track))["state"] == "handled"
    assert (await commander.json("GET", f"{API}/proxy/helpers"))["helpers"][0]["helper_id"] == w01


async def test_rating_waits_for_the_help_and_bad_requests_change_nothing(
    start_gridhub: StartGridHub,
) -> None:
    hub = await proxy_hub(start_gridhub)
    item = await (await hub.admin()).json("PUT", f"{API}/items", json=ITEM)
    watch = await hub.socket("v01.cmd")
    filed = await file_request(hub, item["id"])
    await state_of(watch, "reported")
    resident = hub.anonymous()
    track = f"{API}/public/proxy/{filed['tracking_code']}"
    assert await resident.refused("POST", f"{track}/rating", json={"rating": 5}) == (
        409,
        "services.not_rateable",
    )
    grid = await hub.grid_id(BASIC)
    bad = [
        {
            "item_id": item["id"],
            "grid_id": grid,
            "mode": "magic",
            "name": "李",
            "phone": "13912345678",
        },
        {"item_id": item["id"], "grid_id": grid, "mode": "full", "name": "李", "phone": "110"},
        {
            "item_id": item["id"],
            "grid_id": 2**40,
            "mode": "full",
            "name": "李",
            "phone": "13912345678",
        },
        {
            "item_id": item["id"],
            "grid_id": grid,
            "mode": "full",
            "name": "",
            "phone": "13912345678",
        },
    ]
    for body in bad:
        assert await resident.refused("POST", f"{API}/public/proxy", json=body) == (
            422,
            "request.invalid",
        ), body
    missing = {
        "item_id": 999,
        "grid_id": grid,
        "mode": "full",
        "name": "李",
        "phone": "13912345678",
    }
    assert await resident.refused("POST", f"{API}/public/proxy", json=missing) == (
        404,
        "services.item_not_found",
    )
    assert await resident.refused("GET", f"{API}/public/proxy/AAAAAAAAAAAA") == (
        404,
        "services.request_not_found",
    )
    commander = await hub.sign_in("v01.cmd")
    assert len((await commander.json("GET", f"{API}/proxy/requests"))["requests"]) == 1
    assert await commander.refused("PUT", f"{API}/items", json=ITEM) == (403, "auth.admin_required")
    other = await hub.sign_in("v02.cmd")
    request_id = (await commander.json("GET", f"{API}/proxy/requests"))["requests"][0]["id"]
    assert await other.refused("POST", f"{API}/proxy/requests/{request_id}/handoff") == (
        403,
        "scope.forbidden",
    )
    assert await other.refused("POST", f"{API}/proxy/requests/{request_id}/contact") == (
        403,
        "scope.forbidden",
    )
    assert (await other.json("GET", f"{API}/proxy/requests"))["requests"] == []


async def test_the_webhook_hand_off_is_signed_and_retried_until_taken(
    start_gridhub: StartGridHub, receiver: Receiver
) -> None:
    hub = await proxy_hub(start_gridhub, receiver.url)
    item = await (await hub.admin()).json("PUT", f"{API}/items", json=ITEM)
    watch = await hub.socket("v01.cmd")
    filed = await file_request(hub, item["id"])
    request_id = (await state_of(watch, "reported"))["id"]
    commander = await hub.sign_in("v01.cmd")
    path = f"{API}/proxy/requests/{request_id}/handoff"
    queued = await commander.json("POST", path)
    assert (queued["state"], queued["adapter"]) == ("pending", "webhook")

    arrivals = [await asyncio.wait_for(receiver.seen.get(), 10) for _ in range(3)]
    assert [status for _, _, status in arrivals] == [503, 503, 200]
    for headers, body, _ in arrivals:  # the same delivery each time, each signed
        stamp = headers["X-GridHub-Timestamp"]
        expected = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256)
        assert headers["X-GridHub-Signature"] == f"sha256={expected.hexdigest()}"
        assert headers["X-GridHub-Delivery"] == queued["delivery"]
    assert b'"applicant_phone": "13912345678"' in arrivals[-1][1]
    assert filed["tracking_code"].encode() in arrivals[-1][1]
    done = await watch.next("services.handoff", lambda e: e["state"] == "delivered")
    assert done["attempts"] == 3
    listed = await commander.json("GET", f"{API}/proxy/requests/{request_id}/handoffs")
    assert [(h["state"], h["attempts"]) for h in listed["handoffs"]] == [("delivered", 3)]
    assert receiver.seen.empty()


async def test_a_hand_off_pending_at_a_restart_is_delivered_by_the_next_start(
    start_gridhub: StartGridHub, receiver: Receiver, tmp_path: Path
) -> None:
    receiver.failures = 1_000_000  # the government system is down
    database = f"sqlite+aiosqlite:///{tmp_path / 'services.db'}"
    hub = await proxy_hub(start_gridhub, receiver.url, database_url=database)
    item = await (await hub.admin()).json("PUT", f"{API}/items", json=ITEM)
    watch = await hub.socket("v01.cmd")
    await file_request(hub, item["id"])
    request_id = (await state_of(watch, "reported"))["id"]
    commander = await hub.sign_in("v01.cmd")
    queued = await commander.json("POST", f"{API}/proxy/requests/{request_id}/handoff")
    assert (await asyncio.wait_for(receiver.seen.get(), 10))[2] == 503
    await hub.stop()  # the node goes down with the hand-off still pending

    receiver.failures = 0  # the system is back; a new start takes over from the database
    again = await proxy_hub(start_gridhub, receiver.url, database_url=database, demo=False)
    while (arrival := await asyncio.wait_for(receiver.seen.get(), 10))[2] != 200:
        pass  # attempts the first node began while stopping may still fail
    assert arrival[0]["X-GridHub-Delivery"] == queued["delivery"]
    commander = await again.sign_in("v01.cmd")
    listed = await commander.json("GET", f"{API}/proxy/requests/{request_id}/handoffs")
    assert [h["delivery"] for h in listed["handoffs"]] == [queued["delivery"]]
