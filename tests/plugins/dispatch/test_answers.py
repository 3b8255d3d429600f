"""Every dispatch route answers what its response model (and so the OpenAPI document) says:
incidents through a whole loop, the catalogue, KPIs, appeals, and Open311 in JSON and XML."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import aiohttp

from tests.hub.answers import Answers
from tests.hub.conftest import Client, Hub, bearer, login
from tests.plugins.dispatch.conftest import VILLAGE, centre, person_id
from tests.plugins.dispatch.test_appeals import PNG, appeal, form

PREFIX = "/api/v1/dispatch"
V2 = "/open311/v2"


class Caller:
    """One person's (or no one's) JSON calls, each answer checked against its model."""

    def __init__(self, client: Client, answers: Answers, token: str | None = None) -> None:
        self.client, self.answers = client, answers
        self.headers = bearer(token) if token else {}

    async def __call__(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.client.request(method, PREFIX + path, headers=self.headers, **kwargs)
        body = await response.json()
        assert response.status < 300, (method, path, body)
        self.answers.check(method, PREFIX + path, body)
        return body

    async def act(self, incident: dict[str, Any], action: str, **body: Any) -> dict[str, Any]:
        path = f"/incidents/{incident['id']}/actions/{action}"
        done: dict[str, Any] = await self(
            "POST", path, json={"version": incident["version"], **body}
        )
        return done


async def caller(client: Client, answers: Answers, username: str) -> Caller:
    return Caller(client, answers, await login(client, username))


async def test_every_dispatch_route_answers_its_model(hub: Hub) -> None:
    client = hub.client
    answers = Answers(client.app)
    public = Caller(client, answers)
    cmd = await caller(client, answers, "v01.cmd")
    await public("GET", "/public/categories")
    filed = await public("POST", "/public/appeals", data=form(appeal(client, public="true"), [PNG]))
    track = f"/public/appeals/{filed['tracking_code']}"
    view = await public("GET", track)
    photo = f"{track}/photos/{view['photos'][0]}"
    await _photo(client, answers, PREFIX + photo, {})

    board = await cmd("GET", "/incidents?limit=1")
    incident = await cmd("GET", f"/incidents/{board['items'][0]['id']}")
    await _photo(client, answers, f"{PREFIX}/incidents/{incident['id']}/photos/"
                 f"{incident['attachments'][0]}", cmd.headers)  # fmt: skip
    await cmd("POST", f"/incidents/{incident['id']}/contact")
    await _staff_photo(cmd, incident["id"])
    closed = await _whole_loop(client, answers, cmd, incident)
    assert closed["state"] == "closed"
    rated = await public("POST", f"{track}/rating", json={"rating": 5, "comment": "很及时"})
    assert rated["rating"] == 5

    await cmd("POST", "/incidents", json={"title": "桥下垃圾", "category": "env_sanitation",
                                          "location": centre(client)})  # fmt: skip
    kpis = await cmd("GET", f"/kpis?grid={VILLAGE}")
    assert kpis["by_person"]
    assert kpis["overall"]["rating"]["count"] == 1
    await _catalogue(client, answers, cmd)
    await _open311(client, answers, public)
    assert answers.unchecked(PREFIX) == []


async def _whole_loop(
    client: Client, answers: Answers, cmd: Caller, incident: dict[str, Any]
) -> dict[str, Any]:
    worker = await caller(client, answers, "w01")
    verifier = await caller(client, answers, "v01.lead")
    incident = await cmd.act(incident, "register")
    await cmd("GET", f"/incidents/{incident['id']}/suggestions")
    w01 = await person_id(client, "w01")
    assignees = [{"kind": "person", "target": str(w01)}]
    incident = await cmd.act(incident, "dispatch", assignees=assignees)
    await worker("POST", f"/incidents/{incident['id']}/channel")
    incident = await worker.act(incident, "sign")
    incident = await worker.act(incident, "handle", note="路灯已更换")
    incident = await verifier.act(incident, "verify", passed=True)
    return await cmd.act(incident, "close")


async def _catalogue(client: Client, answers: Answers, cmd: Caller) -> None:
    admin = await caller(client, answers, "admin")
    categories = await cmd("GET", "/categories")
    hazard = next(c for c in categories["items"] if c["code"] == "safety_hazard")
    await admin("PUT", "/categories/safety_hazard", json=hazard)
    departments = await cmd("GET", "/departments")
    water = departments["items"][0]
    await admin("PUT", f"/departments/{water['code']}", json=water)
    await cmd("GET", "/rules")
    rule = {"category": "env_sanitation", "grid": VILLAGE, "target_kind": "grid",
            "target": "370783-001-001-01"}  # fmt: skip
    await admin("POST", "/rules", json=rule)


async def _open311(client: Client, answers: Answers, public: Caller) -> None:
    services = await public("GET", f"{V2}/services.json")
    assert any(s["metadata"] for s in services)
    for code in ("safety_hazard", "dispute", "fire"):  # choices, a number range, no fields
        await public("GET", f"{V2}/services/{code}.json")
    point = centre(client)
    request = {"service_code": "fire", "lat": str(point["lat"]), "long": str(point["lon"]),
               "public": "true"}  # fmt: skip
    [created] = await public("POST", f"{V2}/requests.json", data=request)
    listed = await public("GET", f"{V2}/requests.json")
    assert len(listed) == 2  # the appeal, closed, and this request
    await public("GET", f"{V2}/requests/{created['service_request_id']}.json")
    for method, path, data in (
        ("GET", "/services.xml", None),
        ("GET", "/services/safety_hazard.xml", None),
        ("POST", "/requests.xml", request),
        ("GET", "/requests.xml", None),
        ("GET", f"/requests/{created['service_request_id']}.xml", None),
    ):
        response = await client.request(method, f"{PREFIX}{V2}{path}", data=data)
        assert (response.status, response.content_type) == (200, "text/xml")
        root = ElementTree.fromstring(await response.text())
        answers.check_xml(method, f"{PREFIX}{V2}{path}", root)


async def _staff_photo(cmd: Caller, incident_id: int) -> None:
    upload = aiohttp.FormData()
    upload.add_field("photo", PNG + b"staff", filename="scene.png", content_type="image/png")
    added = await cmd("POST", f"/incidents/{incident_id}/photos", data=upload)
    listed = await cmd("GET", f"/incidents/{incident_id}/photos")
    assert added["items"][0] in listed["items"]


async def _photo(client: Client, answers: Answers, path: str, headers: dict[str, str]) -> None:
    response = await client.get(path, headers=headers)
    assert response.status == 200
    produces = answers.endpoint("GET", path).produces
    assert produces is not None
    assert response.content_type in produces
