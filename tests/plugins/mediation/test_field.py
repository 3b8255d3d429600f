"""The field app's routes: the cases naming me as mediator, a session recorded where it was held,
photos of signed documents (multipart), refused when not an image or PDF, out of scope or not
multipart, with nothing changed; the base64-JSON document routes are gone."""

from __future__ import annotations

from typing import Any

import aiohttp

from hub.testing import HubClient, RunningHub
from tests.consoles.fieldkit import png
from tests.plugins.mediation.conftest import API, VILLAGE, download, new_case, step


def upload(name: str, data: bytes) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("file", data, filename=name, content_type="application/octet-stream")
    return form


async def assigned_case(hub: RunningHub, mediator: HubClient) -> dict[str, Any]:
    village = await hub.grid_id(VILLAGE)
    case = await mediator.json("POST", f"{API}/cases", json=new_case(village))
    me = await hub.person_id("med.v01")
    return await step(mediator, case, "assign", mediator_ids=[me])


async def test_my_cases_and_a_session_recorded_in_the_field(hub: RunningHub) -> None:
    mediator = await hub.sign_in("med.v01")
    case = await assigned_case(hub, mediator)
    village = await hub.grid_id(VILLAGE)
    await mediator.json("POST", f"{API}/cases", json=new_case(village, summary="未指派的案件"))
    mine = (await mediator.json("GET", f"{API}/mine/cases"))["cases"]
    assert [c["id"] for c in mine] == [case["id"]]
    town = await hub.sign_in("med.town1")
    assert (await town.json("GET", f"{API}/mine/cases"))["cases"] == []

    held = await mediator.json(
        "POST",
        f"{API}/cases/{case['id']}/sessions",
        json={
            "version": case["version"],
            "scheduled_at": "2026-12-06T09:30:00+08:00",
            "place": "东庄村调解室",
            "attendees": ["张建国", "李秀兰"],
            "record": "双方同意按原址重砌院墙，费用各半。",
        },
    )
    assert held["version"] == case["version"] + 1
    assert held["session"]["held"] is True
    detail = await mediator.json("GET", f"{API}/cases/{case['id']}")
    assert [(s["place"], s["attendees"], s["record"]) for s in detail["sessions"]] == [
        ("东庄村调解室", ["张建国", "李秀兰"], "双方同意按原址重砌院墙，费用各半。")
    ]
    assert detail["timeline"][-1]["action"] == "session_held"


async def test_photos_of_signed_documents(hub: RunningHub) -> None:
    mediator = await hub.sign_in("med.v01")
    case = await assigned_case(hub, mediator)
    path = f"{API}/cases/{case['id']}/documents"
    photo = png()
    added = await mediator.json("POST", path, data=upload("协议签字页.png", photo))
    assert added["version"] == case["version"] + 1
    document = added["document"]
    assert (document["name"], document["content_type"], document["size"], document["by"]) == (
        "协议签字页.png",
        "image/png",
        len(photo),
        "王调解",
    )
    got = await download(mediator, f"{path}/{document['id']}")
    assert got == (200, "image/png", photo)
    # the legal adviser reads the case, so the document too
    adviser = await hub.sign_in("law.v01")
    assert (await download(adviser, f"{path}/{document['id']}"))[2] == photo
    detail = await mediator.json("GET", f"{API}/cases/{case['id']}")
    assert [d["id"] for d in detail["documents"]] == [document["id"]]
    assert detail["timeline"][-1]["action"] == "document_added"
    audit = await (await hub.admin()).json(
        "GET", "/api/v1/audit", params={"target_type": "mediation_case"}
    )
    assert "mediation.case.document_added" in {e["action"] for e in audit}


async def test_bad_documents_are_refused_with_nothing_changed(hub: RunningHub) -> None:
    mediator = await hub.sign_in("med.v01")
    case = await assigned_case(hub, mediator)
    path = f"{API}/cases/{case['id']}/documents"
    refusals = [
        (mediator, {"data": upload("x.html", b"<script>alert(1)</script>")}, 415, "file_type"),
        (mediator, {"data": upload("empty.png", b"")}, 422, "file_empty"),
        (mediator, {"json": {"file": "iVBORw0KGgo="}}, 415, "file_form"),
        (await hub.sign_in("med.far"), {"data": upload("p.png", png())}, 404, "case_not_found"),
        (await hub.sign_in("law.v01"), {"data": upload("p.png", png())}, 403, "auth.role_required"),
    ]
    for client, body, status, code in refusals:
        refused = await client.refused("POST", path, **body)
        expected = code if "." in code else f"mediation.{code}"
        assert refused == (status, expected), (code, refused)
    detail = await mediator.json("GET", f"{API}/cases/{case['id']}")
    assert (detail["version"], detail["documents"]) == (case["version"], [])
    missing = await mediator.refused("GET", f"{path}/999999")
    assert missing == (404, "mediation.document_not_found")


async def test_the_base64_json_variants_are_gone(hub: RunningHub) -> None:
    """The console fetches the PDF and XLSX through api.download: the JSON copies were removed."""
    mediator = await hub.sign_in("med.v01")
    case = await assigned_case(hub, mediator)
    village = await hub.grid_id(VILLAGE)
    for path in (f"{API}/cases/{case['id']}/agreement", f"{API}/ledger/export?grid_id={village}"):
        status, _, _ = await download(mediator, path)
        assert status in {404, 405}, path


async def test_field_tabs_screen_panel_and_sections_in_the_manifest(hub: RunningHub) -> None:
    """The 调解 tab for mediators and command roles, 普法 for anyone signed in, the big
    screen's panel for the ledger's roles; the residents' page lists 普法宣传 without sign-in."""

    async def contributed(username: str | None) -> dict[str, Any]:
        client = await hub.sign_in(username) if username else hub.anonymous()
        manifest = await client.json("GET", "/api/v1/ui/manifest")
        found = [p for p in manifest["plugins"] if p["name"] == "mediation"]
        return found[0] if found else {}

    def ids(mine: dict[str, Any], kind: str) -> list[str]:
        return [item["id"] for item in mine.get(kind, [])]

    mediator = await contributed("med.v01")
    assert ids(mediator, "field_tabs") == ["cases", "articles"]
    [panel] = mediator["screen_panels"]
    assert (panel["id"], panel["title_zh"], panel["title_en"], panel["export"]) == (
        "mediation",
        "矛盾纠纷化解",
        "Dispute mediation",
        "MediationPanel",
    )
    adviser = await contributed("law.v01")  # reads the ledger, works no case
    assert (ids(adviser, "field_tabs"), ids(adviser, "screen_panels")) == (
        ["articles"],
        ["mediation"],
    )
    worker = await contributed("w01")
    assert (ids(worker, "field_tabs"), ids(worker, "screen_panels")) == (["articles"], [])
    resident = await contributed(None)
    assert "articles" in ids(resident, "resident_sections")
