"""Ids past their database column are refused as invalid input, on SQLite and PostgreSQL.

Most id columns are 32-bit on PostgreSQL: an id of 2^31 that reached a query was a DataError
from asyncpg (a 500, or an `internal` ack). Every id a request names (path, query, body, socket
event, a person id written as text) is bounded by `hub.ids` before any query runs.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from hub import ids, openapi, plugins, policy
from hub.keys import REALTIME
from hub.web import ENDPOINTS, Endpoint
from tests.hub.conftest import Client, StartHub, bearer, error_code, login
from tests.hub.sockets import Peer, joined

TOO_BIG = (2**31, 2**63 - 1, 2**63)  # a 32-bit column's first miss, int64's last, past int64
NOT_IDS = ("0", "²", "1e3", "+1")  # "²".isdigit() is true, and int("²") a ValueError
# Integers a client sends that need no maximum beyond the decoders' 64 bits, and why.
UNBOUNDED = {
    "attachments[]": "kept with the incident as sent, never looked up",
    "version": "compared with the loaded incident in Python, never sent to the database",
    "offset": "a channel offset: a BigInteger column",
    "channel.history.before": "a channel offset: a BigInteger column",
    "sla[][]": "seconds, at most a year (CategorySpec's validator)",
}


def integers_without_maximum(model: type[BaseModel], where: str) -> list[str]:
    """Paths of the integers in `model`'s JSON schema that have no `maximum`."""
    schema = model.model_json_schema()
    defs, found = schema.get("$defs", {}), []
    stack: list[tuple[Any, str]] = [(schema, where)]
    while stack:
        node, path = stack.pop()
        if "$ref" in node:
            node = defs[node["$ref"].rsplit("/", 1)[-1]]
        if node.get("type") == "integer" and "maximum" not in node:
            found.append(path)
        stack += [(child, f"{path}.{key}") for key, child in node.get("properties", {}).items()]
        stack += [(node[key], f"{path}[]") for key in ("items", "additionalProperties")
                  if isinstance(node.get(key), dict)]  # fmt: skip
        stack += [(child, path) for child in node.get("anyOf", [])]
    return [p for p in found if not any(p.endswith(end) for end in UNBOUNDED)]


async def test_every_integer_a_client_sends_is_bounded(start_hub: StartHub) -> None:
    """A new id field without `hub.ids` types (or another bound) fails here."""
    client = (await start_hub(with_plugins=plugins.discover())).client
    found = [
        p
        for e in client.app[ENDPOINTS]
        for model in (e.body, e.query)
        if model is not None
        for p in integers_without_maximum(model, f"{e.method} {e.path}")
    ]
    for name, spec in client.app[REALTIME].events.items():
        found += integers_without_maximum(spec.model, name)
    assert found == []


async def nothing(_: Any) -> None:
    return None


def test_a_route_declares_which_path_parameters_are_ids() -> None:
    """`<thing>_id` without a regex, or with digits only, is an id (an Integer column unless
    the route names it in big_ids); a `_id` with another pattern is a token."""
    rule = policy.public("test.ids")
    route = Endpoint("GET", "/a/{a_id}/{b_id:\\d{1,18}}/{c_id:[^/]+}/{code}", nothing,
                     "x", "t", rule, big_ids=("b_id",))  # fmt: skip
    assert route.id_bounds == {"a_id": ids.ID_MAX, "b_id": ids.BIG_ID_MAX}
    (variant,) = openapi.variants(route.path, route.id_bounds)
    params = dict(variant.params)
    assert params["a_id"] == {"type": "integer", "minimum": 1, "maximum": ids.ID_MAX}
    assert params["b_id"]["maximum"] == 10**18 - 1  # the regex's bound is below the column's
    assert params["c_id"]["type"] == params["code"]["type"] == "string"
    with pytest.raises(ValueError, match="big_ids"):
        Endpoint("GET", "/a/{a_id}", nothing, "x", "t", rule, big_ids=("alarm_id",))


def body_code(value: int) -> str:
    """A JSON body or socket payload with an integer past int64 is not read at all."""
    return "request.json_invalid" if value >= 2**63 else "request.invalid"


def http_cases(value: int) -> list[tuple[str, str, Any, str]]:
    text = str(value)
    invalid = body_code(value)
    return [
        ("GET", f"/api/v1/people/{value}", None, "request.path_invalid"),
        ("POST", f"/api/v1/people/{value}/disable", None, "request.path_invalid"),
        ("GET", f"/api/v1/cameras/{value}", None, "request.path_invalid"),
        ("GET", f"/api/v1/audit?actor_id={value}", None, "request.query_invalid"),
        ("GET", f"/api/v1/dispatch/incidents/{value}", None, "request.path_invalid"),
        ("GET", f"/api/v1/dispatch/incidents?before_id={value}", None, "request.query_invalid"),
        ("GET", f"/api/v1/escalation/sos/{value}", None, "request.path_invalid"),
        ("POST", "/api/v1/alarms/1/assign", {"person_id": value}, invalid),
        ("PUT", "/api/v1/dispatch/departments/water",
         {"code": "water", "name": "水利局", "members": [value]}, invalid),
        ("POST", "/api/v1/dispatch/rules", {"category": "flood", "grid": "370783",
         "target_kind": "person", "target": text}, "rule.bad_target"),
        ("POST", "/api/v1/cameras", {"name": "x", "source_kind": "rtsp",
         "source": "rtsp://127.0.0.1/x", "grid_id": value}, invalid),
    ]  # fmt: skip


async def test_http_ids_past_their_column_are_422(database_url: str, start_hub: StartHub) -> None:
    hub = await start_hub(database_url=database_url, with_plugins=plugins.discover())
    client = hub.client
    admin = bearer(await login(client, "admin"))
    departments = await (await client.get("/api/v1/dispatch/departments", headers=admin)).json()
    for value in TOO_BIG:
        for method, path, body, code in http_cases(value):
            response = await client.request(method, path, json=body, headers=admin)
            answer = await response.json()
            assert (response.status, answer["error"]["code"]) == (422, code), (path, body, answer)
    for text in NOT_IDS:
        response = await client.get(f"/api/v1/people/{text}", headers=admin)
        assert (response.status, await error_code(response)) == (422, "request.path_invalid")
    await _incident_assignee_as_text(client, admin)
    # The alarms plugin names its alarm_id a BigId: past 32 bits is still an id to look up.
    big = await client.get(f"/api/v1/alarms/{2**31}", headers=admin)
    assert (big.status, await error_code(big)) == (404, "alarm.not_found")
    after = await (await client.get("/api/v1/dispatch/departments", headers=admin)).json()
    assert after == departments


async def _incident_assignee_as_text(client: Client, admin: dict[str, str]) -> None:
    report = {"title": "桥下垃圾", "category": "env_sanitation", "grid": "370783-001-001-01"}
    created = await client.post("/api/v1/dispatch/incidents", json=report, headers=admin)
    incident = await created.json()
    assert created.status == 201, incident
    for target in [*map(str, TOO_BIG), *NOT_IDS]:
        body = {"version": incident["version"],
                "assignees": [{"kind": "person", "target": target}]}  # fmt: skip
        path = f"/api/v1/dispatch/incidents/{incident['id']}/actions/dispatch"
        response = await client.post(path, json=body, headers=admin)
        answer = await response.json()
        assert (response.status, answer["error"]["code"]) == (422, "incident.bad_assignee")
    unchanged = await client.get(f"/api/v1/dispatch/incidents/{incident['id']}", headers=admin)
    assert (await unchanged.json())["version"] == incident["version"]


def socket_cases(value: int) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("channel.open", {"channel_id": value}),
        ("channel.read", {"channel_id": value, "offset": 0}),
        ("channel.direct", {"person_id": value}),
        ("channel.list", {"after": value}),
        ("location.track", {"person_id": value}),
        ("presence.who", {"after": value}),
        ("call.invite", {"callee_id": value, "media": "audio", "client_call_id": "c-1"}),
        ("ptt.leave", {"incident_id": value}),
        ("dispatch.get", {"incident_id": value}),
        ("dispatch.list", {"before_id": value}),
        ("alarms.assign", {"alarm_id": 1, "person_id": value}),
        ("escalation.sos.ack", {"sos_id": value}),
    ]


async def test_socket_ids_past_their_column_are_refused(
    database_url: str, start_hub: StartHub, peers: list[Peer]
) -> None:
    hub = await start_hub(database_url=database_url, with_plugins=plugins.discover())
    admin = await joined(hub.client, peers, "admin")
    for value in TOO_BIG:
        code = "frame.malformed" if value >= 2**63 else "request.invalid"
        for event, payload in socket_cases(value):
            reply = await admin.call(event, payload)
            assert reply["ok"] is False, (event, payload, reply)
            assert reply["error"]["code"] == code, (event, payload, reply)
    assert (await admin.call("presence.who", {}))["ok"] is True  # the socket is still fine
