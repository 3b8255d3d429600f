"""Staff photos of an incident: a worker adds them, everyone who may see the incident lists and
opens them (with the resident's appeal photos), and nobody outside its scope can."""

from __future__ import annotations

import aiohttp

from tests.hub.conftest import Client, Hub
from tests.plugins.dispatch.conftest import api_as, person_id, to_person
from tests.plugins.dispatch.test_appeals import JPEG, PNG, appeal, form, post

BASE = "/api/v1/dispatch/incidents"


def photos(*blobs: bytes, name: str = "photo") -> aiohttp.FormData:
    data = aiohttp.FormData()
    for i, blob in enumerate(blobs):
        data.add_field(name, blob, filename=f"p{i}.jpg", content_type="image/jpeg")
    return data


async def add(client: Client, token_headers: dict[str, str], incident_id: int,
              data: aiohttp.FormData, status: int) -> dict[str, object]:  # fmt: skip
    response = await client.post(f"{BASE}/{incident_id}/photos", data=data, headers=token_headers)
    body: dict[str, object] = await response.json()
    assert response.status == status, body
    return body


async def test_staff_photos_join_the_appeal_photos_for_those_who_see_the_incident(
    hub: Hub,
) -> None:
    client = hub.client
    filed = await post(client, 201, data=form(appeal(client), [PNG]))
    cmd, worker = await api_as(client, "v01.cmd"), await api_as(client, "w01")
    [incident] = [i for i in (await cmd.call("GET", "/incidents"))["items"]
                  if i["number"] == filed["number"]]  # fmt: skip
    incident = await cmd.act(incident, "register")
    incident = await cmd.act(incident, "dispatch", assignees=to_person(
        await person_id(client, "w01")))  # fmt: skip
    incident = await worker.act(incident, "sign")

    added = await add(client, worker.headers, incident["id"], photos(JPEG), 201)
    [photo_id] = added["items"]  # type: ignore[misc]
    listed = await cmd.call("GET", f"/incidents/{incident['id']}/photos")
    appeal_photo = (await cmd.get(incident["id"]))["attachments"][0]
    assert listed["items"] == [appeal_photo, photo_id]
    opened = await client.get(f"{BASE}/{incident['id']}/photos/{photo_id}", headers=cmd.headers)
    assert (opened.status, opened.content_type, await opened.read()) == (200, "image/jpeg", JPEG)

    again = await add(client, worker.headers, incident["id"], photos(JPEG, PNG + b"more"), 201)
    assert again["items"][0] == photo_id  # type: ignore[index]  # a resend is stored once
    listed = await cmd.call("GET", f"/incidents/{incident['id']}/photos")
    assert listed["items"] == [appeal_photo, photo_id, again["items"][1]]  # type: ignore[index]

    outsider = await api_as(client, "w52")
    for path in (f"{BASE}/{incident['id']}/photos", f"{BASE}/{incident['id']}/photos/{photo_id}"):
        refused = await client.get(path, headers=outsider.headers)
        assert refused.status == 403, path
    await add(client, outsider.headers, incident["id"], photos(JPEG), 403)
    anonymous = await client.get(f"{BASE}/{incident['id']}/photos/{photo_id}")
    assert anonymous.status == 401


async def test_bad_photo_uploads_store_nothing(hub: Hub) -> None:
    client = hub.client
    worker = await api_as(client, "w01")
    incident = await worker.report()
    bad = [
        (photos(b"just some text, not an image"), 415, "appeal.photo_type"),
        (photos(PNG, name="file"), 422, "incident.photo_form"),
        (aiohttp.FormData({"note": "x"}), 415, "incident.photo_form"),
        (photos(PNG, PNG, PNG, PNG), 422, "appeal.too_many_photos"),
    ]
    for data, status, code in bad:
        body = await add(client, worker.headers, incident["id"], data, status)
        assert body["error"]["code"] == code  # type: ignore[index]
    assert (await worker.call("GET", f"/incidents/{incident['id']}/photos"))["items"] == []
    missing = await client.post(f"{BASE}/999999/photos", data=photos(PNG), headers=worker.headers)
    assert missing.status in (403, 404)
