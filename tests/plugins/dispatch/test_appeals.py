"""Residents' appeals: the public form, tracking, rating, rate limits and refused input."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from hub.keys import SESSIONS
from plugins.dispatch.media import Media
from plugins.dispatch.models import Incident
from storage.models import RateWindow
from tests.hub.conftest import Client, Hub
from tests.hub.sockets import Peer, joined
from tests.plugins.dispatch.conftest import BASIC, StartDispatch, api_as, centre, person_id

PUBLIC = "/api/v1/dispatch/public"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + bytes(500)


def appeal(client: Client, **extra: Any) -> dict[str, Any]:
    return {"title": "村口路灯不亮", "description": "已经三天了", "category": "road_facility",
            "location": centre(client), "contact_name": "王大妈",
            "contact_phone": "138 0000 1234", **extra}  # fmt: skip


def form(body: dict[str, Any], photos: Sequence[bytes] = (), **parts: str) -> aiohttp.FormData:
    data = aiohttp.FormData()
    for key, value in body.items():
        if key == "location":
            data.add_field("lon", str(value["lon"]))
            data.add_field("lat", str(value["lat"]))
        else:
            data.add_field(key, json.dumps(value) if isinstance(value, dict) else str(value))
    for key, value in parts.items():
        data.add_field(key, value)
    for i, photo in enumerate(photos):
        data.add_field("photo", photo, filename=f"p{i}.jpg", content_type="image/jpeg")
    return data


async def post(client: Client, status: int, **kwargs: Any) -> Any:
    response = await client.post(f"{PUBLIC}/appeals", **kwargs)
    body = await response.json()
    assert response.status == status, body
    return body


async def counts(client: Client) -> tuple[int, int]:
    async with client.app[SESSIONS]() as session:
        incidents = await session.scalar(select(func.count()).select_from(Incident))
        media = await session.scalar(select(func.count()).select_from(Media))
    return int(incidents or 0), int(media or 0)


async def find(client: Client, username: str, number: str) -> dict[str, Any]:
    """The incident with `number` as it shows on `username`'s board."""
    api = await api_as(client, username)
    board = await api.call("GET", "/incidents")
    found = [i for i in board["items"] if i["number"] == number]
    assert found, board
    incident: dict[str, Any] = found[0]
    return incident


async def close_loop(client: Client, incident: dict[str, Any]) -> dict[str, Any]:
    """Register, dispatch to w01, sign, handle, verify and close, as the demo village's staff."""
    cmd, worker = await api_as(client, "v01.cmd"), await api_as(client, "w01")
    verifier = await api_as(client, "v01.lead")
    w01 = await person_id(client, "w01")
    incident = await cmd.act(incident, "register")
    incident = await cmd.act(
        incident, "dispatch", assignees=[{"kind": "person", "target": str(w01)}]
    )
    incident = await worker.act(incident, "sign")
    incident = await worker.act(incident, "handle", note="路灯已更换")
    incident = await cmd.act(incident, "comment", note="内部备注: 供电所费用待结算")
    incident = await verifier.act(incident, "verify", passed=True)
    return await cmd.act(incident, "close", note="核查通过, 结案")


async def test_appeal_reaches_the_village_board_and_is_tracked(hub: Hub, peers: list[Peer]) -> None:
    client = hub.client
    commander = await joined(client, peers, "v01.cmd")
    filed = await post(client, 201, data=form(appeal(client), [PNG, JPEG]))
    number, code = filed["number"], filed["tracking_code"]
    assert (filed["state"], filed["photos"], len(code)) == ("reported", 2, 10)

    pushed = await commander.next("dispatch.incident", lambda e: e["incident"]["number"] == number)
    assert (pushed["action"], pushed["incident"]["source"]) == ("reported", "appeal")
    assert pushed["actor"] == {"id": None, "name": "王大妈"}
    incident = await find(client, "v01.cmd", number)
    assert incident["grid_id"] == pushed["incident"]["grid_id"]

    cmd = await api_as(client, "v01.cmd")
    detail = await cmd.get(incident["id"])
    assert (detail["reporter_name"], detail["category"]) == ("王大妈", "road_facility")
    assert len(detail["attachments"]) == 2
    photo = await client.get(
        f"/api/v1/dispatch/incidents/{incident['id']}/photos/{detail['attachments'][0]}",
        headers=cmd.headers,
    )
    assert (photo.status, photo.content_type, await photo.read()) == (200, "image/png", PNG)
    outsider = await api_as(client, "w52")
    refused = await client.get(
        f"/api/v1/dispatch/incidents/{incident['id']}/photos/{detail['attachments'][0]}",
        headers=outsider.headers,
    )
    assert refused.status == 403

    view = await _track(client, code.lower())
    assert (view["number"], view["state"], view["status"]) == (number, "reported", "open")
    assert [e["action"] for e in view["timeline"]] == ["reported"]
    public_photo = await client.get(f"{PUBLIC}/appeals/{code}/photos/{view['photos'][1]}")
    assert await public_photo.read() == JPEG

    early = await client.post(f"{PUBLIC}/appeals/{code}/rating", json={"rating": 5})
    assert (early.status, (await early.json())["error"]["code"]) == (409, "appeal.not_closed")

    closed = await close_loop(client, incident)
    await _public_story(client, code, closed)


async def _track(client: Client, code: str) -> dict[str, Any]:
    response = await client.get(f"{PUBLIC}/appeals/{code}")
    body: dict[str, Any] = await response.json()
    assert response.status == 200, body
    return body


async def _public_story(client: Client, code: str, closed: dict[str, Any]) -> None:
    """The resident sees every public step, no staff name or internal note, and rates once."""
    view = await _track(client, code)
    assert (view["state"], view["status"], view["can_rate"]) == ("closed", "closed", True)
    assert [e["action"] for e in view["timeline"]] == [
        "reported", "register", "dispatch", "sign", "handle", "verify", "close",
    ]  # fmt: skip
    staff = await (await api_as(client, "v01.cmd")).get(closed["id"])
    names = {e["actor"] for e in staff["timeline"] if e["actor"] != "王大妈"}
    text = json.dumps(view, ensure_ascii=False)
    assert names
    assert not any(name in text for name in names)
    assert "内部备注" not in text
    assert "核查通过" not in text

    rated = await client.post(
        f"{PUBLIC}/appeals/{code}/rating", json={"rating": 4, "comment": "修得很快"}
    )
    body = await rated.json()
    assert rated.status == 200, body
    assert (body["rating"], body["can_rate"], body["timeline"][-1]["note"]) == (
        4,
        False,
        "修得很快",
    )
    again = await client.post(f"{PUBLIC}/appeals/{code}/rating", json={"rating": 1})
    assert (again.status, (await again.json())["error"]["code"]) == (409, "appeal.already_rated")
    staff = await (await api_as(client, "v01.cmd")).get(closed["id"])
    assert (staff["rating"], staff["rating_comment"]) == (4, "修得很快")
    rated_by = staff["timeline"][-1]
    assert (rated_by["action"], rated_by["actor_id"]) == ("rate", None)  # nobody's account


async def test_address_with_grid_and_json_body(hub: Hub) -> None:
    client = hub.client
    body = appeal(client, location=None, address="东庄村 3 组 12 号", grid=BASIC)
    body.pop("contact_phone")
    filed = await post(client, 201, json=body)
    incident = await find(client, "v01.cmd", filed["number"])
    assert (incident["address"], incident["lon"], incident["source"]) == (
        "东庄村 3 组 12 号", None, "appeal"
    )  # fmt: skip
    categories = await (await client.get(f"{PUBLIC}/categories")).json()
    codes = {c["code"] for c in categories["items"]}
    assert "road_facility" in codes
    assert "iot_alarm" not in codes


async def test_bad_appeals_are_refused_and_store_nothing(start_dispatch: StartDispatch) -> None:
    hub = await start_dispatch({"appeal_limit": 1000, "appeal_photo_bytes": 2048})
    client = hub.client
    before = await counts(client)
    changes: list[tuple[dict[str, Any], str]] = [
        ({"contact_name": ""}, "appeal.invalid"),
        ({"contact_phone": "12345"}, "appeal.invalid"),
        ({"category": "iot_alarm"}, "appeal.category_not_public"),
        ({"category": "no_such"}, "appeal.category_not_public"),
        ({"location": None}, "appeal.invalid"),
        ({"location": None, "address": "东庄村"}, "appeal.invalid"),
        ({"location": None, "address": "东庄村", "grid": "999"}, "incident.unknown_grid"),
        ({"location": {"lon": 10.0, "lat": 10.0}}, "incident.outside_grids"),
        ({"location": {"lon": 500, "lat": 10.0}}, "appeal.invalid"),
        ({"fields": {"colour": "red"}}, "incident.unknown_field"),
        (
            {"category": "safety_hazard", "fields": {"hazard_level": "很大"}},
            "incident.field_invalid",
        ),
        ({"title": "x" * 201}, "appeal.invalid"),
        ({"source": "console"}, "appeal.invalid"),
    ]
    for change, code in changes:
        body = await post(client, 422, json=appeal(client, **change))
        assert body["error"]["code"] == code, (change, body)
    await _bad_forms(client)
    assert await counts(client) == before


async def _bad_forms(client: Client) -> None:
    good = appeal(client)
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"data": b"{not json", "headers": {"Content-Type": "application/json"}}, 422,
         "request.json_invalid"),
        ({"data": "title=x", "headers": {"Content-Type": "text/plain"}}, 415,
         "appeal.content_type"),
        ({"data": form(good, [b"just some text, not an image"])}, 415, "appeal.photo_type"),
        ({"data": form(good, [PNG + bytes(2048)])}, 413, "appeal.photo_too_large"),
        ({"data": form(good, [PNG, PNG, PNG, PNG])}, 422, "appeal.too_many_photos"),
        ({"data": form(good, [], secret="1")}, 422, "appeal.unknown_part"),
        ({"data": form(good, [], fields="{oops")}, 422, "appeal.invalid"),
        # hub.decoding's limits (a deep one was a RecursionError: 500)
        ({"data": form(good, [], fields="[" * 10_000 + "]" * 10_000)}, 422, "appeal.invalid"),
        ({"data": b"[" * 100_000 + b"]" * 100_000,
          "headers": {"Content-Type": "application/json"}}, 422, "request.json_invalid"),
        ({"data": form({**good, "location": {"lon": "east", "lat": "1"}}, [PNG])}, 422,
         "appeal.invalid"),
        ({"data": form(good, [PNG], category="iot_alarm")}, 422, "appeal.category_not_public"),
        ({"data": form(good, [PNG], secret="1")}, 422, "appeal.unknown_part"),
    ]  # fmt: skip
    for kwargs, status, code in cases:
        body = await post(client, status, **kwargs)
        assert body["error"]["code"] == code, (kwargs, body)
    for path, method, payload, status, code in [
        ("/appeals/NOSUCHCODE", "GET", None, 404, "appeal.not_found"),
        ("/appeals/x'--", "GET", None, 404, "appeal.not_found"),
        ("/appeals/NOSUCHCODE/rating", "POST", {"rating": 5}, 404, "appeal.not_found"),
    ]:
        response = await client.request(method, f"{PUBLIC}{path}", json=payload)
        assert (response.status, (await response.json())["error"]["code"]) == (status, code)


async def test_bad_ratings_change_nothing(hub: Hub) -> None:
    client = hub.client
    filed = await post(client, 201, json=appeal(client))
    closed = await close_loop(client, await find(client, "v01.cmd", filed["number"]))
    rating = f"{PUBLIC}/appeals/{filed['tracking_code']}/rating"
    for payload, code in [
        ({"rating": 0}, "appeal.invalid"),
        ({"rating": 6}, "appeal.invalid"),
        ({"rating": "good"}, "appeal.invalid"),
        ({"rating": 3, "comment": "x" * 501}, "appeal.invalid"),
        ({"rating": 3, "version": 1}, "appeal.invalid"),
        (None, "appeal.invalid"),
    ]:
        response = await client.post(rating, json=payload)
        assert (response.status, (await response.json())["error"]["code"]) == (422, code)
    staff = await (await api_as(client, "v01.cmd")).get(closed["id"])
    assert (staff["rating"], staff["version"]) == (None, closed["version"])


async def test_rate_limits_are_per_client_and_refuse_without_storing(
    start_dispatch: StartDispatch,
) -> None:
    hub = await start_dispatch({"appeal_limit": 2, "appeal_window_s": 600, "rating_limit": 3})
    client = hub.client
    first = await post(client, 201, json=appeal(client))
    await post(client, 201, data=form(appeal(client), [PNG]))
    before = await counts(client)
    response = await client.post(f"{PUBLIC}/appeals", data=form(appeal(client), [PNG]))
    body = await response.json()
    assert (response.status, body["error"]["code"]) == (429, "appeal.rate_limited")
    assert 0 < int(response.headers["Retry-After"]) <= 600
    assert body["error"]["details"]["retry_after"] == int(response.headers["Retry-After"])
    assert await counts(client) == before

    # Another address has a window of its own (the whole of 127/8 is loopback).
    other = await _from_address(client, "127.0.0.2", f"{PUBLIC}/appeals", appeal(client))
    assert other == 201
    assert (await counts(client))[0] == before[0] + 1

    for _ in range(3):
        await _track(client, first["tracking_code"])
    looked = await client.get(f"{PUBLIC}/appeals/{first['tracking_code']}")
    assert (looked.status, (await looked.json())["error"]["code"]) == (429, "appeal.rate_limited")
    rated = await client.post(
        f"{PUBLIC}/appeals/{first['tracking_code']}/rating", json={"rating": 5}
    )
    assert rated.status == 429
    assert "Retry-After" in rated.headers


async def _from_address(client: Client, address: str, path: str, body: Any) -> int:
    connector = aiohttp.TCPConnector(local_addr=(address, 0))
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.post(client.make_url(path), json=body) as response,
    ):
        return response.status


async def test_photos_on_each_database(start_dispatch: StartDispatch, database_url: str) -> None:
    """Photos are stored and served, on SQLite and PostgreSQL."""
    hub = await start_dispatch({"appeal_limit": 5}, database_url=database_url)
    client = hub.client
    filed = await post(client, 201, data=form(appeal(client), [JPEG]))
    view = await _track(client, filed["tracking_code"])
    photo = await client.get(
        f"{PUBLIC}/appeals/{filed['tracking_code']}/photos/{view['photos'][0]}"
    )
    assert (photo.content_type, await photo.read()) == ("image/jpeg", JPEG)
    # The windows themselves (and bursts at a fresh one) are the SDK's: tests/hub/test_ratelimit.py


async def appeal_from_hops(client: Client, hops: str) -> int:
    headers = {"X-Forwarded-For": hops}
    response = await client.post(f"{PUBLIC}/appeals", json=appeal(client), headers=headers)
    return response.status


async def test_behind_a_trusted_proxy_the_hop_it_added_is_the_client(
    start_dispatch: StartDispatch,
) -> None:
    # The test client connects from loopback: here loopback is the hub's trusted proxy.
    loopback = ["127.0.0.1/32", "::1/128"]
    hub = await start_dispatch({"appeal_limit": 1}, trusted_proxies=loopback)
    client = hub.client
    assert await appeal_from_hops(client, "203.0.113.9, 198.51.100.1") == 201
    # The first hops are whatever the client claims; the proxy's own hop decides.
    assert await appeal_from_hops(client, "192.0.2.77, 198.51.100.1") == 429
    assert await appeal_from_hops(client, "198.51.100.2") == 201


async def test_a_forged_forwarded_for_buys_no_fresh_window(
    start_dispatch: StartDispatch, caplog: pytest.LogCaptureFixture
) -> None:
    # No trusted proxy (the default; the old trust_forwarded_for is ignored, with a warning):
    # the client is the peer, whatever X-Forwarded-For it writes.
    hub = await start_dispatch({"appeal_limit": 1, "trust_forwarded_for": True})
    assert "trust_forwarded_for is ignored" in caplog.text
    client = hub.client
    assert await appeal_from_hops(client, "198.51.100.1") == 201
    assert await appeal_from_hops(client, "198.51.100.2") == 429
    assert await appeal_from_hops(client, "192.0.2.77, 198.51.100.3") == 429
    async with client.app[SESSIONS]() as session:
        keys = set(await session.scalars(select(RateWindow.client)))
    assert keys == {"127.0.0.1"}


async def test_a_rejected_appeal_tells_the_resident_why(hub: Hub) -> None:
    client = hub.client
    filed = await post(client, 201, json=appeal(client, public=True))
    cmd = await api_as(client, "v01.cmd")
    incident = await find(client, "v01.cmd", filed["number"])
    await cmd.act(incident, "reject", note="属于供电公司管辖, 请拨打 95598")
    view = await _track(client, filed["tracking_code"])
    assert (view["state"], view["status"], view["can_rate"]) == ("not_accepted", "closed", False)
    assert view["timeline"][-1]["note"] == "属于供电公司管辖, 请拨打 95598"
    token = filed["service_request_id"]
    response = await client.get(f"/api/v1/dispatch/open311/v2/requests/{token}.json")
    [request] = await response.json()
    assert request["status"] == "closed"
    # staff notes may name people: Open311 publishes the state only
    assert request["status_notes"] == "不予受理 not accepted"
