"""Every list a client can send has a maximum length, and list replies are bounded.

The first two tests read every socket event and HTTP route the hub and all installed plugins
register (their pydantic models' JSON schemas), so a new list field without `max_length` fails
here; the others check the raw bodies (imports) and the paged replies.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from hub import plugins
from hub.geometry import MAX_POSITIONS
from hub.gridstore import MAX_IMPORT_FEATURES
from hub.keys import REALTIME
from hub.live import TRACK_MAX
from hub.people import MAX_IMPORT_PEOPLE
from hub.web import ENDPOINTS
from tests.hub.conftest import Client, StartHub, bearer, error_code
from tests.hub.sockets import Peer, joined


def unbounded_lists(model: type[BaseModel]) -> list[str]:
    """Paths of the arrays in `model`'s JSON schema that have no maxItems."""
    schema = model.model_json_schema()
    found: list[str] = []
    _walk(schema, schema.get("$defs", {}), model.__name__, found, set())
    return found


def _walk(node: Any, defs: dict[str, Any], path: str, found: list[str], seen: set[str]) -> None:
    if not isinstance(node, dict):
        return
    ref = node.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name not in seen:  # recursive models: each definition once per path
            _walk(defs[name], defs, path, found, seen | {name})
        return
    if (node.get("type") == "array" or "items" in node) and "maxItems" not in node:
        found.append(path)
    for key, child in (node.get("properties") or {}).items():
        _walk(child, defs, f"{path}.{key}", found, seen)
    for key in ("items", "additionalProperties"):
        _walk(node.get(key), defs, f"{path}[]", found, seen)
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for child in node.get(key) or []:
            _walk(child, defs, path, found, seen)


async def every_plugin(start_hub: StartHub) -> Client:
    hub = await start_hub(with_plugins=plugins.discover())
    return hub.client


async def test_every_socket_event_bounds_its_lists(start_hub: StartHub) -> None:
    client = await every_plugin(start_hub)
    events = client.app[REALTIME].events
    assert len(events) > 40  # the core's, the media's and every plugin's
    unbounded = [p for spec in events.values() for p in unbounded_lists(spec.model)]
    assert unbounded == []


async def test_every_http_route_bounds_its_lists(start_hub: StartHub) -> None:
    client = await every_plugin(start_hub)
    endpoints = client.app[ENDPOINTS]
    assert len(endpoints) > 50
    unbounded = [
        f"{e.method} {e.path}: {p}"
        for e in endpoints
        for model in (e.body, e.query)
        if model is not None
        for p in unbounded_lists(model)
    ]
    assert unbounded == []


async def test_imports_are_capped(client: Client, admin_token: str) -> None:
    people = json.dumps([{}] * (MAX_IMPORT_PEOPLE + 1))
    response = await client.post(
        "/api/v1/people/import",
        params={"format": "json"},
        data=people.encode(),
        headers=bearer(admin_token),
    )
    assert (response.status, await error_code(response)) == (422, "person.import_too_large")
    feature = {"type": "Feature", "properties": {}, "geometry": None}
    grids = {"type": "FeatureCollection", "features": [feature] * (MAX_IMPORT_FEATURES + 1)}
    response = await client.post(
        "/api/v1/grids/import", data=json.dumps(grids).encode(), headers=bearer(admin_token)
    )
    assert (response.status, await error_code(response)) == (422, "grid.import_too_large")


async def test_a_boundary_has_a_bounded_number_of_positions(
    client: Client, admin_token: str
) -> None:
    ring = [[118.0 + i * 1e-6, 36.0] for i in range(MAX_POSITIONS)] + [[118.0, 36.0]]
    spec = {
        "code": "370783-TEST",
        "name": "测试",
        "level": "grid",
        "parent": "370783-001",
        "boundary": {"type": "Polygon", "coordinates": [ring]},
    }
    response = await client.post("/api/v1/grids", json=spec, headers=bearer(admin_token))
    assert (response.status, await error_code(response)) == (422, "grid.geometry_too_large")


async def test_track_and_who_replies_page(client: Client, peers: list[Peer]) -> None:
    worker = await joined(client, peers, "w01")
    for step in range(3):
        await worker.ok("location.report", {"lat": 36.9, "lon": 118.7 + step / 1000})
    commander = await joined(client, peers, "v01.cmd")
    me = (await worker.ok("presence.who", {"limit": 1}))["people"]
    assert len(me) == 1
    person = me[0]["person_id"]
    first = await commander.ok("location.track", {"person_id": person, "since": 0, "limit": 2})
    assert (len(first["points"]), first["more"]) == (2, True)
    rest = await commander.ok(
        "location.track", {"person_id": person, "since": first["next_since"], "limit": 2}
    )
    assert [p["at"] for p in rest["points"]] == [first["next_since"]]
    assert rest["more"] is False
    over = await commander.call(
        "location.track", {"person_id": person, "since": 0, "limit": TRACK_MAX + 1}
    )
    assert over["error"]["code"] == "request.invalid"
    page = await commander.ok("presence.who", {"limit": 1})  # w01 and v01.cmd are online
    assert (len(page["people"]), page["more"]) == (1, True)
    after = page["people"][-1]["person_id"]
    rest = await commander.ok("presence.who", {"limit": 1, "after": after})
    assert (len(rest["people"]), rest["more"]) == (1, False)
    names = {row["username"] for row in page["people"] + rest["people"]}
    assert names == {"w01", "v01.cmd"}
