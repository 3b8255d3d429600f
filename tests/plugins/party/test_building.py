"""Party building over HTTP and the bus: dual reporting, meetings, points once per incident."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import openpyxl

from hub.keys import BUS
from hub.testing import HubClient, RunningHub
from plugins.dispatch.messages import IncidentChanged
from tests.plugins.party.conftest import API, VILLAGE

PARTY_GRID = f"{VILLAGE}-P01"  # 东庄村党建网格, an overlay of the demo county
HALL = (118.5601, 37.0401)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(name: str, data: bytes) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("file", data, filename=name, content_type="application/octet-stream")
    return form


async def branch(hub: RunningHub, town: HubClient) -> int:
    committee = await town.json(
        "POST",
        f"{API}/orgs",
        json={
            "name": "洛城街道党委",
            "kind": "committee",
            "grid_id": await hub.grid_id("370783-001"),
        },
    )
    created = await town.json(
        "POST",
        f"{API}/orgs",
        json={
            "name": "东庄村党支部",
            "kind": "branch",
            "parent_id": committee["id"],
            "grid_id": await hub.grid_id(PARTY_GRID),
        },
    )
    return int(created["id"])


async def member(
    hub: RunningHub, town: HubClient, org: int, name: str, username: str | None = None
) -> int:
    person = await hub.person_id(username) if username else None
    body = {
        "org_id": org,
        "name": name,
        "person_id": person,
        "join_date": "2001-07-01",
        "grid_id": await hub.grid_id(f"{VILLAGE}-01"),
    }
    return int((await town.json("POST", f"{API}/members", json=body))["id"])


async def ledger(town: HubClient, org: int) -> dict[str, int]:
    rows = (await town.json("GET", f"{API}/orgs/{org}/members"))["items"]
    return {row["name"]: row["points"] for row in rows}


async def test_meeting_sign_in_by_code_and_location_and_attendance_rate(hub: RunningHub) -> None:
    town = await hub.sign_in("town1.cmd")
    org = await branch(hub, town)
    await member(hub, town, org, "张秀英", "w01")
    await member(hub, town, org, "李志强", "w02")
    await member(hub, town, org, "王建国")  # no account: never signs in
    starts = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    meeting = await town.json(
        "POST",
        f"{API}/meetings",
        json={
            "org_id": org,
            "kind": "assembly",
            "title": "第四季度党员大会",
            "starts_at": starts,
            "place": "党群服务中心",
            "lon": HALL[0],
            "lat": HALL[1],
        },
    )
    sign_in = f"{API}/meetings/{meeting['id']}/sign-in"
    w01, w02 = await hub.sign_in("w01"), await hub.sign_in("w02")
    wrong = "000000" if meeting["code"] != "000000" else "111111"
    assert await w01.refused("POST", sign_in, json={"code": wrong}) == (422, "party.wrong_code")
    assert (await w01.json("POST", sign_in, json={"code": meeting["code"]}))["detail"] == "code"
    assert await w01.refused("POST", sign_in, json={"code": meeting["code"]}) == (
        409,
        "party.already_signed_in",
    )
    far = {"lon": HALL[0] + 0.01, "lat": HALL[1]}  # about 900 m east
    assert await w02.refused("POST", sign_in, json=far) == (422, "party.too_far")
    near = {"lon": HALL[0] + 0.0005, "lat": HALL[1]}  # about 45 m
    assert (await w02.json("POST", sign_in, json=near))["detail"] == "location"
    later = await town.json(
        "POST",
        f"{API}/meetings",
        json={
            "org_id": org,
            "kind": "lecture",
            "title": "下周党课",
            "starts_at": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
        },
    )
    assert await w01.refused(
        "POST", f"{API}/meetings/{later['id']}/sign-in", json={"code": later["code"]}
    ) == (409, "party.sign_in_closed")
    resident = await hub.sign_in("r01")
    assert await resident.refused("POST", sign_in, json={"code": meeting["code"]}) == (
        403,
        "party.not_member",
    )
    await town.json(
        "POST",
        f"{API}/meetings/{meeting['id']}/minutes",
        json={"minutes": "传达学习上级精神；讨论村级事务。"},
    )
    rates = (await town.json("GET", f"{API}/attendance"))["items"]
    mine = next(r for r in rates if r["org_id"] == org)
    # the lecture next week is not held yet: it does not count
    assert (mine["meetings"], mine["sign_ins"], mine["members"], mine["rate"]) == (
        1,
        2,
        3,
        round(2 / 3, 4),
    )
    photos = f"{API}/meetings/{meeting['id']}/photos"
    photo = await town.json("POST", photos, data=upload("会场.png", PNG))
    assert await town.refused("POST", photos, data=upload("x.pdf", b"%PDF-1.4\n")) == (
        415,
        "party.photo_type",
    )
    assert await (await hub.sign_in("v05.cmd")).refused(
        "POST", photos, data=upload("会场.png", PNG)
    ) == (403, "scope.forbidden")
    headers = {"Authorization": f"Bearer {town.token}"}
    async with aiohttp.ClientSession(hub.url, headers=headers) as http:
        got = await http.get(f"{photos}/{photo['id']}")
        assert (got.status, got.content_type, await got.read()) == (200, "image/png", PNG)
    listed = (await town.json("GET", f"{API}/orgs/{org}/meetings"))["items"]
    assert [m["photos"] for m in listed] == [[], [photo["id"]]]
    assert [(m["title"], m["signed_in"], m["minutes"]) for m in listed] == [
        ("下周党课", 0, ""),
        ("第四季度党员大会", 2, "传达学习上级精神；讨论村级事务。"),
    ]
    assert await ledger(town, org) == {"张秀英": 2, "李志强": 2, "王建国": 0}
    # the yearly assessment ledger, as JSON and as the XLSX a branch exports
    year = (datetime.now(UTC) - timedelta(hours=1)).year
    yearly = await town.json("GET", f"{API}/orgs/{org}/ledger", params={"year": year})
    assert yearly["meetings_held"] == 1
    assert [
        (m["name"], m["meetings"], m["points"]["meeting"], m["total"]) for m in yearly["members"]
    ] == [("张秀英", 1, 2, 2), ("李志强", 1, 2, 2), ("王建国", 0, 0, 0)]
    async with aiohttp.ClientSession(hub.url, headers=headers) as http:
        workbook = await http.get(f"{API}/orgs/{org}/ledger.xlsx", params={"year": year})
        assert workbook.status == 200
        sheet = openpyxl.load_workbook(io.BytesIO(await workbook.read())).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [(r[0], r[2], r[-1]) for r in rows] == [
        ("张秀英", 1, 2),
        ("李志强", 1, 2),
        ("王建国", 0, 0),
    ]
    other = await hub.sign_in("v05.cmd")
    assert await other.refused("GET", f"{API}/orgs/{org}/ledger.xlsx", params={"year": year}) == (
        403,
        "scope.forbidden",
    )


async def dispatch_and_handle(hub: RunningHub, w01_id: int) -> tuple[HubClient, dict[str, Any]]:
    cmd = await hub.sign_in("v01.cmd")
    worker = await hub.sign_in("w01")
    incident = await cmd.json(
        "POST",
        "/api/v1/dispatch/incidents",
        json={"title": "垃圾堆放", "category": "env_sanitation", "grid": f"{VILLAGE}-01"},
    )
    assert incident["state"] == "registered"  # staff reports are registered at once
    incident = await act(
        cmd, incident, "dispatch", assignees=[{"kind": "person", "target": str(w01_id)}]
    )
    incident = await act(worker, incident, "sign")
    return worker, await act(worker, incident, "handle", note="已清理")


async def act(
    client: HubClient, incident: dict[str, Any], action: str, **body: Any
) -> dict[str, Any]:
    path = f"/api/v1/dispatch/incidents/{incident['id']}/actions/{action}"
    done: dict[str, Any] = await client.json(
        "POST", path, json={"version": incident["version"], **body}
    )
    return done


async def test_points_are_awarded_exactly_once_per_incident(hub: RunningHub) -> None:
    town = await hub.sign_in("town1.cmd")
    org = await branch(hub, town)
    w01_id = await hub.person_id("w01")
    await member(hub, town, org, "张秀英", "w01")
    worker, incident = await dispatch_and_handle(hub, w01_id)
    await hub.settle()
    assert await ledger(town, org) == {"张秀英": 5}
    # the check fails, the worker handles it again: still one award for the incident
    lead = await hub.sign_in("v01.lead")
    incident = await act(lead, incident, "verify", passed=False, note="未清理干净")
    assert incident["state"] == "signed"
    incident = await act(worker, incident, "handle", note="复查后清理干净")
    await hub.settle()
    # and the bus delivering the message again (at least once, in a cluster) changes nothing
    again = IncidentChanged(
        incident_id=incident["id"],
        number=incident["number"],
        action="handle",
        state="handled",
        previous_state="signed",
        grid_id=incident["grid_id"],
        category="env_sanitation",
        priority="normal",
        source="console",
        source_ref=None,
        actor_id=w01_id,
        version=incident["version"],
    )
    await hub.app[BUS].publish(again)
    await hub.settle()
    assert await ledger(town, org) == {"张秀英": 5}
    rows = await (await hub.admin()).json(
        "GET", "/api/v1/audit", params={"action": "party.points.awarded"}
    )
    assert [r["details"]["ref"] for r in rows] == [f"incident:{incident['id']}"]


async def test_dual_reporting_to_a_service_record(hub: RunningHub) -> None:
    town = await hub.sign_in("town1.cmd")
    org = await branch(hub, town)
    member_id = await member(hub, town, org, "张秀英", "w01")
    home = "370783-001-002"  # 王家村, where the member lives
    task = await town.json(
        "POST",
        f"{API}/tasks",
        json={"grid_id": await hub.grid_id(f"{home}-01"), "title": "敬老院义务打扫"},
    )
    elsewhere = await town.json(
        "POST",
        f"{API}/tasks",
        json={"grid_id": await hub.grid_id("370783-001-003"), "title": "别村的任务"},
    )
    w01 = await hub.sign_in("w01")
    assert (await w01.json("GET", f"{API}/me/tasks"))["items"] == []  # not reported yet
    assert await w01.refused("POST", f"{API}/tasks/{task['id']}/take") == (403, "party.not_home")
    await w01.json("POST", f"{API}/me/home", json={"grid_id": await hub.grid_id(home)})
    tasks = (await w01.json("GET", f"{API}/me/tasks"))["items"]
    assert [t["title"] for t in tasks] == ["敬老院义务打扫"]
    assert await w01.refused("POST", f"{API}/tasks/{elsewhere['id']}/take") == (
        403,
        "party.not_home",
    )
    await w01.json("POST", f"{API}/tasks/{task['id']}/take")
    done = f"{API}/tasks/{task['id']}/done"
    assert (await w01.refused("POST", done, json={"hours": 0}))[1] == "request.invalid"
    await w01.json("POST", done, json={"hours": 3, "note": "打扫院落、陪老人聊天"})
    assert await w01.refused("POST", done, json={"hours": 3}) == (409, "party.task_not_open")
    service = (await w01.json("GET", f"{API}/me/service"))["items"]
    assert service == [
        {
            "task_id": task["id"],
            "title": "敬老院义务打扫",
            "hours": 3,
            "note": "打扫院落、陪老人聊天",
            "done": True,
        }
    ]
    assert await ledger(town, org) == {"张秀英": 3}
    mine = await w01.json("GET", f"{API}/me")
    assert (mine["org_name"], mine["points"], mine["home_grid_name"]) == (
        "东庄村党支部",
        3,
        "王家村",
    )
    assert mine["tasks"] == [
        {
            "id": task["id"],
            "title": "敬老院义务打扫",
            "grid_id": await hub.grid_id(f"{home}-01"),
            "taken": True,
            "done": True,
        }
    ]
    assert len((await w01.json("GET", f"{API}/me/communities"))["items"]) == 12  # 3 towns × 4
    resident = await hub.sign_in("r01")
    # not a member: an answer saying so (the field tab is everyone's), not a refusal
    assert await resident.json("GET", f"{API}/me") == {"member": False}
    assert await resident.json("GET", f"{API}/me/promotion") == {"items": [], "member": False}
    assert await resident.refused("GET", f"{API}/me/communities") == (403, "party.not_member")
    members = (await town.json("GET", f"{API}/orgs/{org}/members"))["items"]
    assert members[0]["id"] == member_id
    assert members[0]["home_grid_id"] == await hub.grid_id(home)


async def test_scope_roles_and_bad_input(hub: RunningHub) -> None:
    town = await hub.sign_in("town1.cmd")
    org = await branch(hub, town)
    other = await hub.sign_in("v05.cmd")  # another town's village
    assert await other.refused("GET", f"{API}/orgs/{org}/members") == (403, "scope.forbidden")
    assert (await other.json("GET", f"{API}/orgs"))["items"] == []
    worker = await hub.sign_in("w01")
    assert await worker.refused("GET", f"{API}/orgs") == (403, "auth.role_required")
    assert await hub.anonymous().refused("GET", f"{API}/orgs") == (401, "auth.required")
    # a secretary on the party grid manages its branch
    await hub.add_person("secretary", [("party_secretary", PARTY_GRID)])
    secretary = await hub.sign_in("secretary")
    await member(hub, secretary, org, "刘丽娟")
    bad: list[tuple[str, dict[str, Any]]] = [
        ("/members", {"org_id": org, "name": "x", "join_date": "2001-13-01"}),
        ("/members", {"org_id": org, "name": "", "join_date": "2001-01-01"}),
        ("/members", {"org_id": org, "name": "x", "join_date": "2001-01-01", "status": "gone"}),
        (
            "/meetings",
            {"org_id": org, "kind": "party", "title": "x", "starts_at": "2026-12-01T09:00:00Z"},
        ),
        (
            "/meetings",
            {
                "org_id": org,
                "kind": "lecture",
                "title": "x",
                "starts_at": "2026-12-01T09:00:00Z",
                "lon": 200,
                "lat": 37,
            },
        ),
        ("/points", {"member_id": 1, "points": 1000, "reason": "x", "ref": "a"}),
    ]
    for path, body in bad:
        assert (await secretary.refused("POST", f"{API}{path}", json=body))[1] == (
            "request.invalid"
        ), (path, body)
    committee = (await secretary.json("GET", f"{API}/orgs"))["items"]
    wrong = {
        "name": "倒挂",
        "kind": "committee",
        "parent_id": org,
        "grid_id": await hub.grid_id(PARTY_GRID),
    }
    assert await secretary.refused("POST", f"{API}/orgs", json=wrong) == (422, "party.org_parent")
    assert len((await secretary.json("GET", f"{API}/orgs"))["items"]) == len(committee)
    partial = {
        "org_id": org,
        "kind": "lecture",
        "title": "x",
        "starts_at": "2026-12-01T09:00:00Z",
        "lon": 118.5,
    }
    assert await secretary.refused("POST", f"{API}/meetings", json=partial) == (
        422,
        "party.location_partial",
    )
    assert await ledger(secretary, org) == {"刘丽娟": 0}
    assert (await secretary.json("GET", f"{API}/orgs/{org}/meetings"))["items"] == []
