"""Role x action x scope, generated from the running hub: every HTTP route, socket event and
WebSocket path of every built-in package has a rule; each role the rule leaves out is refused
(401/403 auth.*, socket ok false) before its request is even parsed, and changes nothing; people
outside an object's grid subtree are refused the object. See docs/security.md, "Who may do what".
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import socketio
from pydantic import BaseModel

from hub import policy
from hub.access import Grant, Principal, Role
from hub.app import PLUGIN_ROUTES
from hub.keys import GRIDS, REALTIME, SESSIONS
from hub.web import ENDPOINTS, PrefixDispatcher, Router, WebSocketPaths
from plugins.dispatch import access, queries
from plugins.dispatch.models import Incident
from plugins.dispatch.schemas import IncidentQuery
from tests.hub.access_matrix import (
    BASIC,
    DEVICE,
    PARAM,
    ROLE_PEOPLE,
    VILLAGE,
    Matrix,
    db_digest,
    entries,
    started,
    template,
)
from tests.hub.sockets import Peer, connect

pytestmark = pytest.mark.asyncio(loop_scope="module")

AUTH_CODES = {"auth.required", "auth.role_required", "auth.admin_required"}
ROLE_CODES = AUTH_CODES - {"auth.required"}
OUTSIDER = "v02.cmd"  # commander of 王家村, the next village of the same town
SDP = "v=0 offer from outside"
# Every object scope a rule may name, and where its refusal is tested ("here": by the scope
# cases of this module, checked below). A new scope fails the last test until it is added.
HERE = [
    policy.Scope.OWN, policy.Scope.LISTED, policy.Scope.GRID, policy.Scope.PERSON,
    policy.Scope.DEVICE, policy.Scope.CHANNEL, policy.Scope.CALL, policy.Scope.RECORDING,
    policy.Scope.CAMERA, "incident", "alarm", "sos",
]  # fmt: skip
COVERED = {
    policy.Scope.NONE: "no object to check",
    policy.Scope.DEPLOYMENT: "admin only: the role matrix",
    policy.Scope.DEVICE_KEY: "tests/plugins/alarms/test_device_protocol.py (wrong key)",
    policy.Scope.SCRAPER: "tests/hub/test_system_api.py (metrics: address or token)",
    policy.Scope.MEDIA_ROOM: "tests/media/test_group.py (moderation scope)",
    "tracking_code": "tests/plugins/dispatch/test_appeals.py (unknown code)",
    "published": "tests/plugins/dispatch/test_open311.py (non-public categories hidden)",
    **dict.fromkeys(HERE, "here"),
}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def matrix(
    tmp_path_factory: pytest.TempPathFactory, demo_template: Path
) -> AsyncIterator[Matrix]:
    async with started(tmp_path_factory.mktemp("matrix"), demo_template) as found:
        yield found


@pytest_asyncio.fixture(loop_scope="module")
async def sockets(matrix: Matrix) -> AsyncIterator[dict[str, Peer]]:
    """A socket per username asked for, closed after the test."""
    made: dict[str, Peer] = {}
    yield made
    for peer in made.values():
        await peer.sio.disconnect()


async def socket_of(matrix: Matrix, made: dict[str, Peer], username: str) -> Peer:
    if username not in made:
        made[username] = await connect(matrix.client, await matrix.token(username))
    return made[username]


# ---- (a) every way in has exactly one rule ---------------------------------------------------


async def test_every_route_event_and_path_has_one_rule(matrix: Matrix) -> None:
    app = matrix.app
    book = policy.rulebook(entries(app))  # raises if one action has two different rules
    assert {e.tag for e in app[ENDPOINTS]} >= {
        "system", "auth", "grids", "people", "devices", "files", "calls", "media",
        "recordings", "cameras", "ui", "alarms", "dispatch", "escalation",
    }  # fmt: skip
    prefixes = {name.split(".")[0] for name in app[REALTIME].events}
    assert prefixes >= {"auth", "presence", "location", "channel", "call", "group", "ptt",
                        "alarms", "dispatch", "escalation"}  # fmt: skip
    assert book["dispatch.incident.read"].roles >= {"grid_worker", "commander"}
    unruled = [f"{r.method} {r.resource.canonical}" for r in app.router.routes()
               if r.resource is not None and not _accounted(app, r)]  # fmt: skip
    assert unruled == [], "routes added outside hub.web.Router (no rule): " + ", ".join(unruled)


def _accounted(app: Any, route: Any) -> bool:
    """A route goes through a rule: a Router endpoint, a plugin prefix or /ws/ path (whose
    endpoints carry rules), socket.io (whose events do), or a static console page."""
    owner = getattr(route.handler, "__self__", None)
    if isinstance(owner, PrefixDispatcher | WebSocketPaths) or owner is app[REALTIME].sio.eio:
        return True
    mounted = {(e.method, PARAM.sub(lambda m: "{" + m.group(1) + "}", e.path))
               for e in app[ENDPOINTS]}  # fmt: skip
    if (route.method, route.resource.canonical) in mounted:
        return True
    # The console pages and their assets: HTML and JS only, every datum they show comes
    # through the API under its rules.
    return route.handler.__module__ == "consoles.serve" and route.method in ("GET", "HEAD")


async def test_a_route_or_event_without_a_rule_cannot_be_registered(matrix: Matrix) -> None:
    router = Router("/api/v1/x", "x")
    with pytest.raises(TypeError):
        router.get("/y", summary="no rule")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        router.get("/y", summary="roles only", roles={"admin"})  # type: ignore[call-arg]
    realtime = matrix.app[REALTIME]
    with pytest.raises(TypeError):
        realtime.on("x.y", BaseModel)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="signed-in"):
        realtime.on("x.y", BaseModel, policy.public("x.y"))
    with pytest.raises(ValueError, match="already registered"):
        realtime.on("dispatch.get", BaseModel, policy.signed_in("x.y", policy.Scope.OWN))
    assert sorted(matrix.app[PLUGIN_ROUTES]) == ["alarms", "dispatch", "escalation"]


# ---- (b) roles the rule leaves out are refused, over HTTP and sockets ------------------------


async def test_every_route_refuses_the_roles_its_rule_leaves_out(matrix: Matrix) -> None:
    before = await db_digest(matrix.app)
    wrong: list[str] = []
    for role, username in ROLE_PEOPLE.items():
        who = matrix.principals.get(username) if username else None
        for endpoint in matrix.app[ENDPOINTS]:
            admitted = endpoint.rule.admits(who)
            if admitted and (endpoint.method != "GET" or not endpoint.rule.needs_sign_in):
                continue  # only reads are sent to those admitted (writes would write)
            path = matrix.path(endpoint)
            status, code = await matrix.http(endpoint.method, path, username)
            if not admitted and (status not in (401, 403) or code not in AUTH_CODES):
                wrong.append(f"{role}: {endpoint.method} {path} -> {status} {code}")
            if admitted and code in AUTH_CODES:
                wrong.append(f"{role} admitted by the rule: {endpoint.method} {path} -> {code}")
    assert wrong == []
    assert await db_digest(matrix.app) == before


async def test_every_event_refuses_the_roles_its_rule_leaves_out(
    matrix: Matrix, sockets: dict[str, Peer]
) -> None:
    with pytest.raises(socketio.exceptions.ConnectionError):
        await connect(matrix.client, None)  # no token, no socket: anonymous reaches no event
    before = await db_digest(matrix.app)
    wrong: list[str] = []
    for role, username in ROLE_PEOPLE.items():
        if username is None:
            continue
        who = matrix.principals[username]
        refused = [n for n, s in matrix.app[REALTIME].events.items() if not s.rule.admits(who)]
        peer = await socket_of(matrix, sockets, username)
        for event in refused:
            reply = await peer.call(event, {})  # invalid too: the role is checked first
            code = reply.get("error", {}).get("code")
            if reply["ok"] is not False or code not in ROLE_CODES:
                wrong.append(f"{role}: {event} -> {reply}")
    assert wrong == []
    assert await db_digest(matrix.app) == before


# ---- the finding: residents reach no staff incident --------------------------------------------


async def test_a_resident_of_the_incidents_grid_reaches_none_of_it(
    matrix: Matrix, sockets: dict[str, Peer]
) -> None:
    incident, base = matrix.ids["incident"], "/api/v1/dispatch/incidents"
    before = await db_digest(matrix.app)
    attempts = [
        ("GET", base, None),
        ("GET", f"{base}/{incident}", None),
        ("POST", f"{base}/{incident}/channel", None),
        ("POST", f"{base}/{incident}/actions/comment", {"version": 1, "note": "我也看看"}),
        ("GET", f"{base}/{incident}/photos/1", None),
        ("GET", "/api/v1/dispatch/kpis?grid=" + VILLAGE, None),
    ]
    for method, path, body in attempts:
        assert await matrix.http(method, path, "r01", body) == (403, "auth.role_required"), path
    peer = await socket_of(matrix, sockets, "r01")
    for event in ("get", "watch", "channel", "list"):
        reply = await peer.call(f"dispatch.{event}", {"incident_id": incident})
        assert reply["error"]["code"] == "auth.role_required", event
    act = {"incident_id": incident, "action": "comment", "version": 1, "note": "我也看看"}
    assert (await peer.call("dispatch.act", act))["error"]["code"] == "auth.role_required"
    assert await db_digest(matrix.app) == before  # no comment, no channel membership


async def test_a_residents_grant_is_no_sight_of_incidents(matrix: Matrix) -> None:
    """Staff somewhere else, resident here: the incidents here stay out of sight."""
    index, ids = matrix.app[GRIDS].index, matrix.ids
    elsewhere = index.by_code("370783-001-002-01").id
    grants = (Grant(Role.RESIDENT, ids["basic"]), Grant(Role.GRID_WORKER, elsewhere))
    who = Principal(ids["r01"], "r01", "居民", "", grants)
    async with matrix.app[SESSIONS]() as session:
        incident = await session.get(Incident, ids["incident"])
    assert incident is not None
    assert not access.sees(who, index, incident, involved=False)
    listed = await queries.listing(matrix.app[SESSIONS], who, index, IncidentQuery())
    assert listed["items"] == []
    staff = Principal(ids["w01"], "w01", "网格员", "", (Grant(Role.GRID_WORKER, ids["basic"]),))
    assert access.sees(staff, index, incident, involved=False)


# ---- (c) scope: people outside the object's grid subtree are refused ---------------------------


Case = tuple[str, str, str, Any, set[str]]


def scope_cases(m: Matrix) -> list[Case]:
    """(who, "http"|"socket", "METHOD path" or event, body, refusal codes) for objects in
    东庄村, asked by people of 王家村 (the next village)."""
    ids, o, sock, http = m.ids, OUTSIDER, "socket", "http"
    incident, alarm, chan = ids["incident"], ids["alarm"], ids["channel"]
    inc, alarms = f"/api/v1/dispatch/incidents/{incident}", f"/api/v1/alarms/{alarm}"
    rec, cam = f"/api/v1/recordings/{m.values['recording_id']}", f"/api/v1/cameras/{ids['camera']}"
    people, grids = "/api/v1/people", "/api/v1/grids"
    hidden, out = {"incident.forbidden"}, {"scope.forbidden"}
    comment = {"version": 1, "note": "看看"}
    act = {"action": "comment", **comment}
    report = {"title": "越界上报", "category": "env_sanitation", "grid": BASIC}
    call = {"callee_id": ids["r01"], "media": "audio", "client_call_id": "o1"}
    return [
        (o, http, f"GET {inc}", None, hidden),
        (o, http, f"POST {inc}/actions/comment", comment, hidden),
        (o, http, f"POST {inc}/channel", None, hidden),
        (o, http, f"GET {inc}/photos/1", None, hidden),
        (o, http, f"GET {inc}/suggestions", None, out),
        ("w06", http, "POST /api/v1/dispatch/incidents", report, out),
        (o, http, f"GET /api/v1/dispatch/kpis?grid={VILLAGE}", None, out),
        (o, sock, "dispatch.get", {"incident_id": incident}, hidden),
        (o, sock, "dispatch.watch", {"incident_id": incident}, hidden),
        (o, sock, "dispatch.channel", {"incident_id": incident}, hidden),
        (o, sock, "dispatch.act", {"incident_id": incident, **act}, hidden),
        (o, sock, "dispatch.suggest", {"incident_id": incident}, out),
        (o, http, f"GET {alarms}", None, {"alarm.not_found"}),
        (o, http, f"GET {alarms}/cap", None, {"alarm.not_found"}),
        (o, http, f"POST {alarms}/ack", {"comment": "收到"}, {"alarm.not_found"}),
        (o, http, f"POST {alarms}/assign", {"person_id": ids["w06"]}, {"alarm.not_found"}),
        (o, http, f"GET {alarms}/assignees", None, {"alarm.not_found"}),
        (o, sock, "alarms.assignees", {"alarm_id": alarm}, {"alarm.not_found"}),
        (o, sock, "alarms.comment", {"alarm_id": alarm, "text": "看看"}, {"alarm.not_found"}),
        (o, sock, "alarms.clear", {"alarm_id": alarm}, {"alarm.not_found"}),
        (o, http, f"GET /api/v1/alarms/devices/{DEVICE}/frames", None, {"device.not_found"}),
        (o, http, f"GET /api/v1/devices/{DEVICE}", None, {"device.not_found"}),
        (o, http, f"GET {people}/{ids['w01']}", None, out),
        (o, http, f"POST {people}/{ids['w01']}/password", {"password": "Another@2026"},
         {"auth.admin_required"}),
        (o, sock, "location.track", {"person_id": ids["w01"], "since": 0}, out),
        (o, http, f"GET {grids}/{ids['village']}", None, out),
        (o, http, f"GET {grids}?root={VILLAGE}", None, out),
        (o, http, f"GET {grids}/export.geojson?root={VILLAGE}", None, out),
        (o, sock, "presence.who", {"grid": VILLAGE}, out),
        (o, http, f"POST /api/v1/channels/{chan}/files", None, {"channel.forbidden"}),
        (o, sock, "channel.open", {"channel_id": chan}, {"channel.forbidden"}),
        (o, sock, "channel.history", {"channel_id": chan}, {"channel.forbidden"}),
        (o, sock, "channel.members", {"channel_id": chan}, {"channel.forbidden"}),
        (o, sock, "group.join", {"channel_id": chan, "sdp": SDP}, {"media.not_member"}),
        (o, sock, "ptt.join", {"channel_id": chan, "sdp": SDP}, {"media.not_member"}),
        (o, sock, "call.invite", call, {"call.out_of_scope"}),
        (o, sock, "call.pull", {"worker_id": ids["w01"], "client_call_id": "o2"},
         {"call.out_of_scope"}),
        (o, http, f"GET {rec}", None, out),
        (o, http, f"POST {rec}/ticket", None, out),
        (o, http, f"GET {rec}/media", None, out),
        (o, http, f"GET {cam}", None, out),
        (o, http, f"PATCH {cam}", {"name": "改名"}, out),
        (o, http, f"POST {cam}/watch", {"sdp": SDP}, out),
        (o, http, f"GET {cam}/stats", None, out),
        (o, http, f"DELETE {cam}", None, out),
    ]  # fmt: skip


async def test_outsiders_are_refused_objects_of_another_village(
    matrix: Matrix, sockets: dict[str, Peer]
) -> None:
    cases = scope_cases(matrix)
    for who in {case[0] for case in cases}:  # signing in writes: before the digest
        await socket_of(matrix, sockets, who)
    before = await db_digest(matrix.app)
    wrong: list[str] = []
    for who, transport, target, body, codes in cases:
        if transport == "http":
            method, path = target.split(" ", 1)
            status, code = await matrix.http(method, path, who, body)
            if status not in (403, 404) or code not in codes:
                wrong.append(f"{who}: {target} -> {status} {code}")
        else:
            reply = await (await socket_of(matrix, sockets, who)).call(target, body)
            if reply["ok"] is not False or reply["error"]["code"] not in codes:
                wrong.append(f"{who}: {target} -> {reply}")
    assert wrong == []
    assert await db_digest(matrix.app) == before


async def test_lists_leave_out_objects_of_another_village(
    matrix: Matrix, sockets: dict[str, Peer]
) -> None:
    ids, insider, outsider = matrix.ids, "v01.cmd", OUTSIDER
    lists = [
        ("/api/v1/dispatch/incidents", lambda d: [x["id"] for x in d["items"]], ids["incident"]),
        ("/api/v1/alarms", lambda d: [x["id"] for x in d], ids["alarm"]),
        ("/api/v1/devices", lambda d: [x["code"] for x in d], DEVICE),
        ("/api/v1/cameras", lambda d: [x["camera_id"] for x in d], ids["camera"]),
        ("/api/v1/people", lambda d: [x["id"] for x in d], ids["w01"]),
    ]
    for path, keys, wanted in lists:
        assert wanted in keys(await _json(matrix, path, insider)), path
        assert wanted not in keys(await _json(matrix, path, outsider)), path
    peer = await socket_of(matrix, sockets, outsider)
    listed = await peer.ok("dispatch.list", {})
    assert ids["incident"] not in [x["id"] for x in listed["items"]]
    alarms = await peer.ok("alarms.list", {})
    assert ids["alarm"] not in [x["id"] for x in alarms["alarms"]]
    recordings = await _json(matrix, "/api/v1/recordings", outsider)
    assert matrix.values["recording_id"] not in [x["recording_id"] for x in recordings]


async def _json(matrix: Matrix, path: str, username: str) -> Any:
    headers = {"Authorization": f"Bearer {await matrix.token(username)}"}
    response = await matrix.client.get(path, headers=headers)
    assert response.status == 200, await response.text()
    return json.loads(await response.text())


async def test_outsiders_are_refused_live_calls_sos_and_checkins(
    matrix: Matrix, sockets: dict[str, Peer]
) -> None:
    worker = await socket_of(matrix, sockets, "w01")
    await socket_of(matrix, sockets, "v01.lead")
    other = await socket_of(matrix, sockets, "w06")  # a worker of 王家村
    outsider = await socket_of(matrix, sockets, OUTSIDER)
    invite = {"callee_id": matrix.ids["v01.lead"], "media": "audio", "client_call_id": "live"}
    call_id = (await worker.ok("call.invite", invite))["call_id"]
    ref = {"call_id": call_id}
    signal = {**ref, "kind": "candidate", "candidate": {"candidate": "x"}}
    for event, body in [("call.accept", ref), ("call.decline", ref), ("call.hangup", ref),
                        ("call.signal", signal)]:  # fmt: skip
        assert (await outsider.call(event, body))["error"]["code"] == "call.not_found", event
    publish = {"kind": "call", "ref": call_id, "sdp": SDP}
    refused = await matrix.http("POST", "/api/v1/recordings/publish", OUTSIDER, publish)
    assert refused == (404, "recording.call_not_found")
    assert (await worker.ok("call.hangup", {"call_id": call_id}))["state"] == "ended"  # untouched

    sos = (await worker.ok("escalation.sos.raise", {"note": "落水"}))["sos"]
    for event, body in [("escalation.sos.ack", {"sos_id": sos["id"]}),
                        ("escalation.sos.close", {"sos_id": sos["id"], "note": "关"})]:  # fmt: skip
        assert (await outsider.call(event, body))["error"]["code"] == "scope.forbidden", event
    path = f"/api/v1/escalation/sos/{sos['id']}"
    assert await matrix.http("GET", path, OUTSIDER) == (403, "scope.forbidden")
    assert (await _json(matrix, path, "v01.cmd"))["sos"]["state"] == "open"  # untouched
    commander = await socket_of(matrix, sockets, "v01.cmd")
    await commander.ok("escalation.sos.ack", {"sos_id": sos["id"]})  # the insider may
    await commander.ok("escalation.sos.close", {"sos_id": sos["id"], "note": "演练结束"})

    start = {"task": "巡河", "interval_s": 600}
    checkin = (await worker.ok("escalation.checkin.start", start))["checkin"]
    for event in ("escalation.checkin.ok", "escalation.checkin.stop"):
        reply = await other.call(event, {"checkin_id": checkin["id"]})
        assert reply["error"]["code"] == "checkin.not_found", event
    await worker.ok("escalation.checkin.stop", {"checkin_id": checkin["id"]})  # still active


async def test_every_object_scope_a_rule_names_is_tested(matrix: Matrix) -> None:
    named = {entry.rule.scope for entry in entries(matrix.app)}
    assert named <= set(COVERED), f"scopes without a test: {named - set(COVERED)}"
    hit = {_rule_of(matrix, transport, target).scope for _, transport, target, _, _ in
           scope_cases(matrix)}  # fmt: skip
    hit |= {policy.Scope.LISTED, "sos"}  # the list test and the live-object test above
    here = {scope for scope, where in COVERED.items() if where == "here"}
    assert here <= hit, f"scopes marked 'here' without a case: {here - hit}"


def _rule_of(matrix: Matrix, transport: str, target: str) -> policy.Rule:
    if transport == "socket":
        return matrix.app[REALTIME].events[target].rule
    method, path = target.split(" ", 1)
    path = path.split("?", 1)[0]
    for endpoint in matrix.app[ENDPOINTS]:
        if endpoint.method == method and template(endpoint.path).fullmatch(path):
            return endpoint.rule
    raise AssertionError(f"no route for {target}")
