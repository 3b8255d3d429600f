"""Visits and inspections over real HTTP and sockets: due → reminded → overdue on the village
console, a hazard found on an inspection filed as an incident, photos, scope and bad input."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from hub.testing import HubClient, RunningHub
from hub.testing.fixtures import StartGridHub
from tests.plugins.archives.conftest import (
    API,
    BASIC,
    ID_WOMAN,
    OFFICER,
    add_resident,
)

VISITS = f"{API}/visits"
# a 1x1 PNG
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


async def field_hub(start: StartGridHub) -> RunningHub:
    """The demo county with archives and dispatch, and an officer over the county."""
    hub = await start(["archives", "dispatch"], demo=True)
    await hub.add_person("arch.officer", [(OFFICER, "370783")], display_name="档案员")
    return hub


async def binary(client: HubClient, path: str) -> tuple[int, str, bytes]:
    """(status, content type, body) of a binary answer (HubClient keeps only what it decodes)."""
    headers = {"Authorization": f"Bearer {client.token}"}
    async with (
        aiohttp.ClientSession(base_url=client.url) as http,
        http.get(path, headers=headers) as response,
    ):
        return response.status, response.content_type, await response.read()


def ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def visit(subject_id: int, client_id: str, kind: str = "person", **fields: Any) -> dict[str, Any]:
    return {"subject_type": kind, "subject_id": subject_id, "client_id": client_id, **fields}


def mine(
    items: list[dict[str, Any]], subject_id: int, kind: str = "person"
) -> list[dict[str, Any]]:
    return [i for i in items if i["subject_type"] == kind and i["subject_id"] == subject_id]


async def due(client: HubClient, within_days: int = 3) -> list[dict[str, Any]]:
    found: dict[str, Any] = await client.json(
        "GET", f"{VISITS}/due", params={"within_days": str(within_days)}
    )
    return list(found["items"])


async def test_a_visit_falls_due_the_worker_is_reminded_then_the_village_sees_it_overdue(
    start_gridhub: StartGridHub,
) -> None:
    hub = await field_hub(start_gridhub)
    officer, worker = await hub.sign_in("arch.officer"), await hub.sign_in("w01")
    admin, village = await hub.admin(), await hub.sign_in("v01.cmd")
    elder = await add_resident(
        officer, await hub.grid_id(BASIC), ID_WOMAN, name="李桂芝", tags=["elderly_alone"]
    )
    rid = elder["id"]
    # New in care: due one visit interval (7 days for 独居老人) after getting the tag.
    assert mine(await due(worker), rid) == []
    [soon] = mine(await due(worker, within_days=7), rid)
    assert (soon["interval_days"], soon["overdue"], soon["name"]) == (7, False, "李桂芝")

    # The last visit was 8 days ago (sent late from a phone that was offline): due since a day.
    await worker.json("POST", VISITS, json=visit(rid, "visit-old-0001", visited_at=ago(8)))
    [now_due] = mine(await due(worker), rid)
    assert now_due["overdue"] is True
    w01, console = await hub.socket("w01"), await hub.socket("v01.cmd")
    swept = await admin.json("POST", f"{VISITS}/sweep", json={})
    assert (swept["reminded"], swept["overdue"]) == (1, 0)
    notice = await w01.next("archives.visit_due", lambda d: d["subject_id"] == rid)
    assert (notice["subject_type"], notice["name"]) == ("person", "李桂芝")
    overdue = (await village.json("GET", f"{VISITS}/overdue"))["items"]
    assert mine(overdue, rid) == []  # reminded, not yet escalated

    # A reminder is sent once per period: a second sweep reminds nobody again.
    assert (await admin.json("POST", f"{VISITS}/sweep", json={}))["reminded"] == 0
    # The interval shortens to 5 days: now 3 days late, past the 2 days' grace → the console.
    tag = {
        "code": "elderly_alone",
        "name_zh": "独居老人",
        "name_en": "Elderly living alone",
        "care_level": 2,
        "visit_interval_days": 5,
        "visible_roles": ["grid_worker", "grid_leader", "commander", OFFICER],
    }
    await officer.json("PUT", f"{API}/tags", json=tag)
    swept = await admin.json("POST", f"{VISITS}/sweep", json={})
    assert (swept["reminded"], swept["overdue"]) == (0, 1)
    pushed = await console.next("archives.visit_overdue", lambda d: d["subject_id"] == rid)
    assert (pushed["name"], pushed["grid_name"]) == ("李桂芝", "东庄村第一网格")
    [listed] = mine((await village.json("GET", f"{VISITS}/overdue"))["items"], rid)
    assert listed["overdue_at"] is not None
    assert w01.drain("archives.visit_due") == []  # the worker was not reminded twice

    # The worker visits today: the period ends, the console's list and the due list clear.
    await worker.json("POST", VISITS, json=visit(rid, "visit-new-0002", note="身体尚好，已送米面"))
    await admin.json("POST", f"{VISITS}/sweep", json={})
    assert mine((await village.json("GET", f"{VISITS}/overdue"))["items"], rid) == []
    assert mine(await due(worker), rid) == []
    params = {"subject_type": "person", "subject_id": str(rid)}
    history = (await worker.json("GET", VISITS, params=params))["items"]
    assert [h["client_id"] for h in history] == ["visit-new-0002", "visit-old-0001"]
    assert (await village.json("GET", VISITS, params=params))["items"] == history  # the village


async def test_an_inspection_files_a_hazard_as_an_incident_with_photos(
    start_gridhub: StartGridHub,
) -> None:
    hub = await field_hub(start_gridhub)
    officer, worker = await hub.sign_in("arch.officer"), await hub.sign_in("w01")
    grid = await hub.grid_id(BASIC)
    place = await officer.json(
        "POST",
        f"{API}/places",
        json={
            "grid_id": grid,
            "name": "东庄液化气站",
            "kind": "hazardous",
            "risk_level": "high",
            "inspection_interval_days": 30,
            "lng": 118.79,
            "lat": 36.86,
        },
    )
    [owed] = mine(await due(worker, within_days=30), place["id"], "place")
    assert owed["interval_days"] == 30
    w01 = await hub.socket("w01")
    body = visit(
        place["id"],
        "insp-hazard-01",
        "place",
        note="气瓶露天堆放",
        lat=36.861,
        lon=118.791,
        hazard={"title": "液化气瓶露天堆放", "priority": "high"},
    )
    made = await worker.json("POST", VISITS, json=body)
    assert made["hazard"] is True
    opened = await w01.next("archives.visit_incident", lambda d: d["visit_id"] == made["id"])
    cmd = await hub.sign_in("county.cmd")
    incident = await cmd.json("GET", f"/api/v1/dispatch/incidents/{opened['incident_id']}")
    assert (incident["category"], incident["grid_id"], incident["title"]) == (
        "safety_hazard",
        grid,
        "液化气瓶露天堆放",
    )
    # The phone sends the same inspection again (its answer was lost): the same visit, one incident.
    again = await worker.json("POST", VISITS, json=body)
    assert again["id"] == made["id"]
    assert again["incident_id"] == opened["incident_id"]

    form = aiohttp.FormData()
    form.add_field("photo", PNG, filename="p.png", content_type="image/png")
    ids = (await worker.json("POST", f"{VISITS}/{made['id']}/photos", data=form))["items"]
    form = aiohttp.FormData()
    form.add_field("photo", PNG, filename="p.png", content_type="image/png")
    assert (await worker.json("POST", f"{VISITS}/{made['id']}/photos", data=form))["items"] == ids
    shown = await binary(officer, f"{VISITS}/{made['id']}/photos/{ids[0]}")
    assert shown == (200, "image/png", PNG)
    text = aiohttp.FormData()
    text.add_field("photo", b"not an image at all", filename="x.png", content_type="image/png")
    assert await worker.refused("POST", f"{VISITS}/{made['id']}/photos", data=text) == (
        415,
        "archives.photo_type",
    )
    # Photos come as files only (the field tab turns its queued data URLs into parts).
    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    path = f"{VISITS}/{made['id']}/photos"
    assert await worker.refused("POST", path, json={"photos": [url]}) == (
        415,
        "archives.photo_form",
    )
    assert (await worker.json("GET", path))["items"] == ids


async def test_a_worker_sees_and_visits_only_their_grids_and_bad_input_changes_nothing(
    start_gridhub: StartGridHub,
) -> None:
    hub = await field_hub(start_gridhub)
    officer, w01, w08 = [await hub.sign_in(n) for n in ("arch.officer", "w01", "w08")]
    elder = await add_resident(
        officer, await hub.grid_id(BASIC), ID_WOMAN, name="李桂芝", tags=["elderly_alone"]
    )
    rid = elder["id"]
    assert mine(await due(w01, within_days=7), rid) != []
    assert mine(await due(w08, within_days=60), rid) == []  # 王家村第三网格 owes nothing of 东庄
    assert await w08.refused("POST", VISITS, json=visit(rid, "w08-visit-001")) == (
        403,
        "archives.out_of_scope",
    )
    bad = [
        (visit(rid, "bad-0000001", lat=36.8), 422, "request.invalid"),  # lat without lon
        (visit(rid, "bad-0000002", visited_at=ago(40)), 422, "archives.visit_time"),
        (visit(rid, "bad-0000003", visited_at=ago(-1)), 422, "archives.visit_time"),
        (visit(rid, "bad-0000004", note="x" * 2001), 422, "request.invalid"),
        (visit(rid, "short"), 422, "request.invalid"),  # client id too short
        (visit(999999, "bad-0000005"), 404, "archives.subject_not_found"),
        (visit(rid, "bad-0000006", "house"), 422, "request.invalid"),
        ({**visit(rid, "bad-0000007"), "hazard": {"title": ""}}, 422, "request.invalid"),
    ]
    for body, status, code in bad:
        assert await w01.refused("POST", VISITS, json=body) == (status, code), body
    assert await w08.refused(
        "GET", f"{VISITS}/due", params={"grid_id": str(await hub.grid_id(BASIC))}
    ) == (403, "archives.out_of_scope")
    assert await (await hub.sign_in("county.cmd")).refused("POST", f"{VISITS}/sweep", json={}) == (
        403,
        "auth.admin_required",
    )
    history = await officer.json(
        "GET", VISITS, params={"subject_type": "person", "subject_id": str(rid)}
    )
    assert history["items"] == []
