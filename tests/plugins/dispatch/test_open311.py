"""Open311 GeoReport v2: services, service definitions, and service requests round trip."""

from __future__ import annotations

import json
import math
from typing import Any
from xml.etree import ElementTree

from sqlalchemy import select

from hub.keys import GRIDS, SESSIONS
from plugins.dispatch.models import Incident
from tests.hub.conftest import Client, Hub
from tests.hub.sockets import Peer, joined
from tests.plugins.dispatch.conftest import StartDispatch, api_as, centre
from tests.plugins.dispatch.test_appeals import close_loop, counts, find

V2 = "/api/v1/dispatch/open311/v2"
GRID_DEG = 0.005  # published positions: the centre of their cell (docs/open311.md)


async def get(client: Client, path: str, expect: int = 200, **params: str) -> Any:
    response = await client.get(f"{V2}{path}", params=params)
    body = await response.json()
    assert response.status == expect, body
    return body


async def submit(client: Client, status: int = 200, **kwargs: Any) -> Any:
    response = await client.post(f"{V2}/requests.json", **kwargs)
    body = await response.json()
    assert response.status == status, body
    return body


async def number_of(client: Client, service_request_id: str) -> str:
    """The internal incident number behind a published service_request_id."""
    async with client.app[SESSIONS]() as session:
        number = await session.scalar(
            select(Incident.number).where(Incident.public_id == service_request_id)
        )
    assert number is not None
    return number


def cell_centre(degrees: float) -> float:
    return round((math.floor(degrees / GRID_DEG) + 0.5) * GRID_DEG, 4)


def error(body: Any) -> tuple[int, str]:
    """An Open311 error list's first (HTTP code, stable hub code)."""
    assert isinstance(body, list), body
    assert set(body[0]) == {"code", "description", "error_code"}
    return body[0]["code"], body[0]["error_code"]


async def test_services_are_the_public_categories(hub: Hub) -> None:
    client = hub.client
    services = {s["service_code"]: s for s in await get(client, "/services.json")}
    assert "iot_alarm" not in services
    assert services["env_sanitation"] == {
        "service_code": "env_sanitation", "service_name": "环境卫生",
        "description": "垃圾堆放、污水、乱搭乱建等人居环境问题", "metadata": False,
        "type": "realtime", "keywords": "环境卫生, Environmental sanitation",
        "group": "环卫中心 Sanitation Centre",
    }  # fmt: skip
    assert services["safety_hazard"]["metadata"] is True
    english = await get(client, "/services.json", lang="en")
    assert {s["service_name"] for s in english} >= {"Fire", "Safety hazard"}

    hazard = await get(client, "/services/safety_hazard.json")
    assert hazard["service_code"] == "safety_hazard"
    assert hazard["attributes"] == [{
        "variable": True, "code": "hazard_level", "datatype": "singlevaluelist",
        "required": False, "datatype_description": "", "order": 1, "description": "隐患等级",
        "values": [{"key": v, "name": v} for v in ("一般", "较大", "重大")],
    }]  # fmt: skip
    parties = (await get(client, "/services/dispute.json"))["attributes"][0]
    assert (parties["datatype"], parties["datatype_description"]) == (
        "number", "whole number from 1 to 500"
    )  # fmt: skip
    for code in ("iot_alarm", "nothing"):
        body = await get(client, f"/services/{code}.json", 404)
        assert error(body) == (404, "open311.service_not_found")


async def test_request_round_trip_to_closed(hub: Hub, peers: list[Peer]) -> None:
    client = hub.client
    commander = await joined(client, peers, "v01.cmd")
    point = centre(client)
    created = await submit(client, data={
        "service_code": "safety_hazard", "lat": str(point["lat"]), "long": str(point["lon"]),
        "attribute[hazard_level]": "较大", "description": "桥栏杆松动\n在村东头",
        "first_name": "Li", "last_name": "Lei", "email": "li@example.org",
        "phone": "+86 138-0000-1234", "media_url": "https://photos.example.org/1.jpg",
        "jurisdiction_id": "shouguang", "public": "true",
    })  # fmt: skip
    assert created[0]["account_id"] is None
    token = created[0]["service_request_id"]
    number = await number_of(client, token)
    pushed = await commander.next("dispatch.incident", lambda e: e["incident"]["number"] == number)
    assert (pushed["action"], pushed["incident"]["source"]) == ("reported", "open311")
    incident = await find(client, "v01.cmd", number)
    assert incident["title"] == "桥栏杆松动"
    tracking = created[0]["service_notice"].split()[1]  # the filer's own, private way in
    assert (await client.get(f"/api/v1/dispatch/public/appeals/{tracking}")).status == 200

    [request] = await get(client, f"/requests/{token}.json")
    village = client.app[GRIDS].index.get(incident["level_grid_id"]).name
    assert request == {
        "service_request_id": token, "status": "open", "status_notes": "已提交 submitted",
        "service_name": "安全隐患", "service_code": "safety_hazard",
        "description": None, "agency_responsible": village,
        "service_notice": "", "requested_datetime": incident["created_at"],
        "updated_datetime": incident["updated_at"],
        "expected_datetime": request["expected_datetime"],
        "address": None, "address_id": None, "zipcode": None,
        "lat": cell_centre(point["lat"]), "long": cell_centre(point["lon"]), "media_url": None,
    }  # fmt: skip
    assert request["expected_datetime"] is not None
    # the phone whole, as written and as digits: a fragment such as "138" also turns up in the
    # microseconds of a timestamp
    for private in ("Li", "桥栏杆", "138-0000-1234", "13800001234", "example.org", number):
        assert private not in str(request)
    assert [
        r["service_request_id"] for r in await get(client, "/requests.json", status="open")
    ] == [token]
    await close_loop(client, incident)
    [request] = await get(client, f"/requests/{token}.json")
    assert (request["status"], request["status_notes"]) == ("closed", "已办结 closed")
    assert request["expected_datetime"] is None
    assert await get(client, "/requests.json", status="open") == []
    closed = await get(client, "/requests.json", status="closed,open", service_code="safety_hazard")
    assert [r["service_request_id"] for r in closed] == [token]


async def test_json_requests_listing_filters(hub: Hub) -> None:
    client = hub.client
    point = centre(client)
    first = (await submit(client, json={
        "service_code": "dispute", "lat": point["lat"], "long": point["lon"],
        "attribute": {"parties": 3}, "description": "宅基地纠纷", "public": True,
    }))[0]["service_request_id"]  # fmt: skip
    # Only an address: no geocoder, so the county centre (the root grid) places it.
    second = (await submit(client, data={
        "service_code": "dispute", "address_string": "东庄村村委会", "attribute[parties]": "2",
        "public": "1",
    }))[0]["service_request_id"]  # fmt: skip
    incident = await find(client, "county.cmd", await number_of(client, second))
    root = client.app[GRIDS].index.roots()[0]
    assert (incident["grid_id"], incident["address"], incident["lat"]) == (
        root.id, "东庄村村委会", None
    )  # fmt: skip

    listed = await get(client, "/requests.json")
    assert [r["service_request_id"] for r in listed] == [second, first]
    both = await get(client, "/requests.json", service_request_id=f"{first},{second}")
    assert len(both) == 2
    assert await get(client, "/requests.json", service_code="fire") == []
    future = await get(client, "/requests.json", start_date="2099-01-01T00:00:00Z")
    assert future == []
    past = await get(client, "/requests.json", end_date="2000-01-01T00:00:00+08:00")
    assert past == []
    for params, code in [
        ({"start_date": "yesterday"}, "open311.date_invalid"),
        ({"end_date": "2026-01-01T00:00:00"}, "open311.date_invalid"),
        ({"status": "pending"}, "open311.status_invalid"),
    ]:
        assert error(await get(client, "/requests.json", 400, **params)) == (400, code)
    missing = await get(client, "/requests/370783-2026-999999.json", 404)
    assert error(missing) == (404, "open311.request_not_found")


async def test_staff_reports_are_not_listed(hub: Hub) -> None:
    client = hub.client
    worker = await api_as(client, "w01")
    staff = await worker.report(title="内部上报")
    assert await get(client, "/requests.json") == []
    body = await get(client, f"/requests/{staff['number']}.json", 404)
    assert error(body) == (404, "open311.request_not_found")


async def test_bad_requests_and_api_key_store_nothing(start_dispatch: StartDispatch) -> None:
    hub = await start_dispatch({"open311_api_keys": ["k-123"], "appeal_limit": 1000})
    client = hub.client
    point = centre(client)
    good = {"api_key": "k-123", "service_code": "dispute", "lat": str(point["lat"]),
            "long": str(point["lon"]), "attribute[parties]": "4"}  # fmt: skip
    before = await counts(client)
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"api_key": None}, 403, "open311.api_key_invalid"),
        ({"api_key": "wrong"}, 403, "open311.api_key_invalid"),
        ({"api_key": "wrong", "service_code": None}, 403, "open311.api_key_invalid"),
        ({"service_code": None}, 400, "open311.invalid"),
        ({"service_code": "iot_alarm"}, 400, "open311.service_not_found"),
        ({"long": None}, 400, "open311.invalid"),
        ({"lat": None, "long": None}, 400, "open311.invalid"),
        ({"lat": "91"}, 400, "open311.invalid"),
        ({"lat": "10", "long": "10"}, 400, "incident.outside_grids"),
        ({"email": "not-an-address"}, 400, "open311.invalid"),
        ({"phone": "call me"}, 400, "open311.invalid"),
        ({"media_url": "javascript:alert(1)"}, 400, "open311.invalid"),
        ({"description": "x" * 4001}, 400, "open311.invalid"),
        ({"attribute[parties]": "many"}, 400, "incident.field_invalid"),
        ({"attribute[parties]": "0"}, 400, "incident.field_invalid"),
        ({"attribute[colour]": "red"}, 400, "incident.unknown_field"),
    ]
    for change, status, code in cases:
        data = {k: v for k, v in {**good, **change}.items() if v is not None}
        assert error(await submit(client, status, data=data)) == (status, code), change
    as_text = await submit(client, 415, data="service_code=dispute",
                           headers={"Content-Type": "text/plain"})  # fmt: skip
    assert error(as_text) == (415, "open311.content_type")
    for raw in [b"[1, 2]", b"{oops", json.dumps({**good, "attribute": [4]}).encode(),
                json.dumps({**good, "lat": {"deep": 1}}).encode(),
                b"[" * 100_000 + b"]" * 100_000, b'{"lat": 1' + b"0" * 400 + b"}"]:  # fmt: skip
        headers = {"Content-Type": "application/json"}
        refused = await submit(client, 400, data=raw, headers=headers)
        assert error(refused) == (400, "open311.invalid"), raw
    assert await counts(client) == before
    await submit(client, 200, data=good)
    assert (await counts(client))[0] == before[0] + 1


async def test_posts_share_the_appeal_rate_limit(start_dispatch: StartDispatch) -> None:
    hub = await start_dispatch({"appeal_limit": 1})
    client = hub.client
    point = centre(client)
    args = {"service_code": "fire", "lat": str(point["lat"]), "long": str(point["lon"]),
            "public": "true"}  # fmt: skip
    await submit(client, 200, data=args)
    before = await counts(client)
    response = await client.post(f"{V2}/requests.json", data=args)
    assert error(await response.json()) == (429, "appeal.rate_limited")
    assert int(response.headers["Retry-After"]) > 0
    appeal = await client.post("/api/v1/dispatch/public/appeals", json={})
    assert appeal.status == 429
    assert await counts(client) == before
    assert len(await get(client, "/requests.json")) == 1  # reading is not limited


async def test_xml_resources(hub: Hub) -> None:
    client = hub.client

    async def xml(method: str, path: str, status: int = 200, **kwargs: Any) -> ElementTree.Element:
        response = await client.request(method, f"{V2}{path}", **kwargs)
        text = await response.text()
        assert (response.status, response.content_type) == (status, "text/xml"), text
        assert text.startswith("<?xml version='1.0' encoding='utf-8'?>")
        return ElementTree.fromstring(text)

    services = await xml("GET", "/services.xml")
    assert services.tag == "services"
    fire = [s for s in services if s.findtext("service_code") == "fire"]
    assert (fire[0].findtext("service_name"), fire[0].findtext("metadata")) == ("火情", "false")
    definition = await xml("GET", "/services/safety_hazard.xml")
    values = definition.findall("attributes/attribute/values/value/key")
    assert [v.text for v in values] == ["一般", "较大", "重大"]

    point = centre(client)
    created = await xml("POST", "/requests.xml", data={
        "service_code": "fire", "lat": str(point["lat"]), "long": str(point["lon"]),
        "public": "true",
    })  # fmt: skip
    number = created.findtext("request/service_request_id")
    assert number is not None
    one = await xml("GET", f"/requests/{number}.xml")
    assert (one.tag, one.findtext("request/status"), one.findtext("request/zipcode")) == (
        "service_requests", "open", ""
    )  # fmt: skip

    missing = await xml("GET", "/services/iot_alarm.xml", 404)
    assert (missing.tag, missing.findtext("error/code")) == ("errors", "404")
    assert missing.findtext("error/error_code") == "open311.service_not_found"
    other = await client.get(f"{V2}/services.csv")
    assert other.status == 404


async def test_only_what_residents_agreed_to_is_published(hub: Hub) -> None:
    """Not public unless asked; published: no text, no address, a coarse place, a random id."""
    client = hub.client
    point = centre(client)
    quiet = await submit(client, data={
        "service_code": "dispute", "lat": str(point["lat"]), "long": str(point["lon"]),
        "description": "邻居张三占了我家宅基地", "first_name": "Wang",
    })  # fmt: skip
    public = await submit(client, json={
        "service_code": "dispute", "lat": point["lat"] + 0.0013, "long": point["lon"] - 0.0021,
        "description": "邻居张三占了我家宅基地", "address_string": "东庄村12号", "public": True,
    })  # fmt: skip
    appeal_body = {"title": "路灯坏了", "description": "我是李四，电话13800001234",
                   "category": "road_facility", "location": point, "contact_name": "李四",
                   "address": "东庄村3号"}  # fmt: skip
    quiet_appeal = await client.post("/api/v1/dispatch/public/appeals", json=appeal_body)
    assert (await quiet_appeal.json())["service_request_id"] is None
    public_appeal = await (
        await client.post("/api/v1/dispatch/public/appeals", json={**appeal_body, "public": True})
    ).json()
    assert public_appeal["public"] is True

    listed = await get(client, "/requests.json")
    tokens = [public_appeal["service_request_id"], public[0]["service_request_id"]]
    assert [r["service_request_id"] for r in listed] == tokens
    for request in listed:
        assert (request["description"], request["address"], request["media_url"]) == (
            None, None, None
        )  # fmt: skip
        for private in ("张三", "李四", "1380000", "东庄村12号", "东庄村3号", "Wang"):
            assert private not in json.dumps(request, ensure_ascii=False)
    placed = listed[1]
    assert (placed["lat"], placed["long"]) == (
        cell_centre(point["lat"] + 0.0013), cell_centre(point["lon"] - 0.0021)
    )  # fmt: skip
    assert abs(placed["lat"] - (point["lat"] + 0.0013)) <= GRID_DEG / 2
    # Ids are random tokens; the sequential incident number is not an id here.
    assert all(len(t) == 16 for t in tokens)
    assert tokens[0] != tokens[1]
    for hidden in (quiet[0]["service_request_id"], public_appeal["number"],
                   await number_of(client, tokens[1])):  # fmt: skip
        body = await get(client, f"/requests/{hidden}.json", 404)
        assert error(body) == (404, "open311.request_not_found")
    unpublished = quiet[0]["service_request_id"]
    assert await get(client, "/requests.json", service_request_id=unpublished) == []


async def test_reading_is_rate_limited_per_client(start_dispatch: StartDispatch) -> None:
    hub = await start_dispatch({"open311_read_limit": 3})
    client = hub.client
    for path in ("/requests.json", "/requests/nothing.json", "/requests.json"):
        response = await client.get(f"{V2}{path}")
        assert response.status in (200, 404)
    for path in ("/requests.json", "/requests/nothing.json"):
        response = await client.get(f"{V2}{path}")
        assert error(await response.json()) == (429, "open311.rate_limited")
        assert int(response.headers["Retry-After"]) > 0
    assert (await client.get(f"{V2}/services.json")).status == 200  # the catalogue is not
