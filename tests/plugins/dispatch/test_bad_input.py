"""Every action refuses bad input and the wrong people with a stable code, changing nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.hub.conftest import Hub
from tests.hub.sockets import Peer, joined
from tests.plugins.dispatch.conftest import Api, api_as, person_id, to_person

FAR_FUTURE = "2099-01-01T00:00:00+08:00"


async def _dispatched(hub: Hub) -> tuple[Api, dict[str, Any]]:
    cmd = await api_as(hub.client, "v01.cmd")
    incident = await cmd.report()
    w01 = await person_id(hub.client, "w01")
    return cmd, await cmd.act(incident, "dispatch", assignees=to_person(w01))


# (who acts, action, body beyond the version, expected status, expected code)
CASES: list[tuple[str, str, dict[str, Any], int, str]] = [
    ("v01.cmd", "fly", {}, 422, "incident.unknown_action"),
    ("v01.cmd", "register", {}, 409, "incident.invalid_state"),
    ("v01.cmd", "close", {}, 409, "incident.invalid_state"),
    ("w01", "handle", {"note": "x"}, 409, "incident.invalid_state"),
    ("w02", "sign", {}, 403, "incident.forbidden"),  # another grid's worker: cannot see it
    ("town2.cmd", "escalate", {"note": "x"}, 403, "incident.forbidden"),
    ("v01.lead", "return", {"note": "x"}, 403, "incident.not_assignee"),
    ("w01", "return", {}, 422, "incident.note_required"),
    ("w01", "return", {"note": "   "}, 422, "incident.note_required"),
    ("v01.cmd", "park", {"note": "x"}, 422, "incident.review_at"),
    (
        "v01.cmd",
        "park",
        {"note": "x", "review_at": "2001-01-01T00:00:00+08:00"},
        422,
        "incident.review_at",
    ),
    (
        "v01.cmd",
        "park",
        {"note": "x", "review_at": "2099-01-01T00:00:00"},
        422,
        "incident.review_at",
    ),
    ("v01.cmd", "comment", {"note": "x", "rating": 9}, 422, "request.invalid"),
    ("v01.cmd", "comment", {"note": "x" * 5001}, 422, "request.invalid"),
    ("v01.cmd", "comment", {"note": "x", "attachments": ["a"]}, 422, "request.invalid"),
    ("w01", "rate", {"rating": 5}, 409, "incident.invalid_state"),
]


@pytest.mark.parametrize(("who", "action", "body", "status", "code"), CASES)
async def test_refused_actions_change_nothing(
    hub: Hub, who: str, action: str, body: dict[str, Any], status: int, code: str
) -> None:
    cmd, incident = await _dispatched(hub)
    api = await api_as(hub.client, who)
    refused = await api.call(
        "POST", f"/incidents/{incident['id']}/actions/{action}",
        {"version": incident["version"], **body}, status,
    )  # fmt: skip
    assert refused["error"]["code"] == code, refused
    after = await cmd.get(incident["id"])
    assert (after["version"], after["state"]) == (incident["version"], incident["state"])
    assert [e["action"] for e in after["timeline"]] == ["reported", "dispatch"]


async def test_stale_and_missing_versions_are_refused(hub: Hub) -> None:
    cmd, incident = await _dispatched(hub)
    stale = {**incident, "version": incident["version"] - 1}
    refused = await cmd.act(stale, "comment", status=409, note="late")
    assert refused["error"]["code"] == "incident.conflict"
    assert refused["error"]["details"] == {"state": "dispatched", "version": incident["version"]}
    response = await cmd.call("POST", f"/incidents/{incident['id']}/actions/comment",
                              {"note": "no version"}, 422)  # fmt: skip
    assert response["error"]["code"] == "request.invalid"


DISPATCH_CASES: list[tuple[list[dict[str, Any]], str]] = [
    ([], "incident.assignees_required"),
    ([{"kind": "person", "target": "abc"}], "incident.bad_assignee"),
    ([{"kind": "person", "target": "999999"}], "incident.bad_assignee"),
    ([{"kind": "grid", "target": "370783-002-001"}], "incident.bad_assignee"),  # other town
    ([{"kind": "department", "target": "nope"}], "incident.bad_assignee"),
    ([{"kind": "grid", "target": "370783-001-001-01", "lead": True},
      {"kind": "grid", "target": "370783-001-001-02", "lead": True}], "incident.one_lead"),
    ([{"kind": "grid", "target": "370783-001-001-01", "lead": True},
      {"kind": "grid", "target": "370783-001-001-01"}], "incident.duplicate_assignee"),
]  # fmt: skip


@pytest.mark.parametrize(("assignees", "code"), DISPATCH_CASES)
async def test_bad_dispatches_are_refused(
    hub: Hub, assignees: list[dict[str, Any]], code: str
) -> None:
    cmd = await api_as(hub.client, "v01.cmd")
    incident = await cmd.report()
    refused = await cmd.act(incident, "dispatch", status=422, assignees=assignees)
    assert refused["error"]["code"] == code
    after = await cmd.get(incident["id"])
    assert (after["version"], after["assignments"]) == (incident["version"], [])


async def test_a_resident_under_the_handling_level_is_no_assignee(hub: Hub) -> None:
    cmd = await api_as(hub.client, "v01.cmd")
    incident = await cmd.report()
    resident = await person_id(hub.client, "r01")  # lives in 东庄村, holds no staff role
    refused = await cmd.act(incident, "dispatch", status=422, assignees=to_person(resident))
    assert refused["error"]["code"] == "incident.bad_assignee"
    after = await cmd.get(incident["id"])
    assert (after["version"], after["assignments"]) == (incident["version"], [])
    assert resident not in after["involved"]


async def test_rules_and_departments_name_staff_only(hub: Hub) -> None:
    admin = await api_as(hub.client, "admin")
    resident = await person_id(hub.client, "r01")
    rule = {"category": "env_sanitation", "grid": "370783-001-001-01", "target_kind": "person",
            "target": str(resident)}  # fmt: skip
    refused = await admin.call("POST", "/rules", rule, status=422)
    assert refused["error"]["code"] == "rule.bad_target"
    department = {"code": "helpers", "name": "志愿者", "members": [resident]}
    refused = await admin.call("PUT", "/departments/helpers", department, status=422)
    assert refused["error"]["code"] == "department.bad_member"
    assert (await admin.call("GET", "/rules"))["items"] == []
    codes = [d["code"] for d in (await admin.call("GET", "/departments"))["items"]]
    assert "helpers" not in codes


REPORT_CASES: list[tuple[dict[str, Any], int, str]] = [
    ({"title": ""}, 422, "request.invalid"),
    ({"category": "nope"}, 404, "category.not_found"),
    ({"grid": None}, 422, "request.invalid"),  # neither grid nor location
    ({"grid": "999"}, 422, "incident.unknown_grid"),
    ({"grid": None, "location": {"lon": 10.0, "lat": 10.0}}, 422, "incident.outside_grids"),
    ({"grid": None, "location": {"lon": 500, "lat": 10.0}}, 422, "request.invalid"),
    ({"category": "dispute", "fields": {"parties": "many"}}, 422, "incident.field_invalid"),
    ({"category": "dispute", "fields": {"parties": 0}}, 422, "incident.field_invalid"),
    ({"category": "dispute", "fields": {"colour": "red"}}, 422, "incident.unknown_field"),
    ({"priority": "whenever"}, 422, "request.invalid"),
    ({"grid": "370783-002-001-01"}, 403, "scope.forbidden"),  # outside the reporter's scope
]


@pytest.mark.parametrize(("fields", "status", "code"), REPORT_CASES)
async def test_bad_reports_store_nothing(
    hub: Hub, fields: dict[str, Any], status: int, code: str
) -> None:
    worker = await api_as(hub.client, "w01")
    refused = await worker.report(status=status, **fields)
    assert refused["error"]["code"] == code
    county = await api_as(hub.client, "county.cmd")
    assert (await county.call("GET", "/incidents"))["items"] == []


async def test_residents_and_strangers_cannot_use_staff_events(hub: Hub, peers: list[Peer]) -> None:
    resident = await joined(hub.client, peers, "r01")
    reply = await resident.call("dispatch.report", {"title": "x", "category": "other",
                                                    "grid": "370783-001-001-01"})  # fmt: skip
    assert reply["error"]["code"] == "auth.role_required"
    worker = await joined(hub.client, peers, "w01")
    reply = await worker.call("dispatch.suggest", {"incident_id": 1})
    assert reply["error"]["code"] == "auth.role_required"
    reply = await worker.call("dispatch.act", {"incident_id": 1, "action": "sign"})
    assert reply["error"]["code"] == "request.invalid"
    anonymous = await hub.client.get("/api/v1/dispatch/incidents")
    assert anonymous.status == 401
