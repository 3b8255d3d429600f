"""Grid editing over HTTP (admin), GeoJSON import/export round trips, and locating points."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hub.demo_data import demo_grids
from tests.hub.conftest import Client, StartHub, bearer, error_code, login

VILLAGE = "370783-001-001"
VILLAGE_B = "370783-001-002"


def square(lon: float, lat: float, size: float = 0.001) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


async def all_grids(client: Client, token: str) -> dict[str, dict[str, Any]]:
    response = await client.get("/api/v1/grids", params={"geometry": "true"}, headers=bearer(token))
    assert response.status == 200
    return {g["code"]: g for g in await response.json()}


async def create(client: Client, token: str, **spec: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/grids", json=spec, headers=bearer(token))
    body: dict[str, Any] = await response.json()
    assert response.status == 201, body
    return body


async def audit(client: Client, token: str, **query: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/audit", params=query, headers=bearer(token))
    assert response.status == 200
    entries: list[dict[str, Any]] = await response.json()
    return entries


def by_code(grids: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Grids with ids replaced by codes, to compare hubs whose ids differ."""
    codes = {g["id"]: code for code, g in grids.items()}
    out = {}
    for code, grid in grids.items():
        out[code] = {
            **{k: v for k, v in grid.items() if k not in ("id", "parent_id", "covers")},
            "parent": codes.get(grid["parent_id"]),
            "covers": sorted(codes[c] for c in grid["covers"]),
        }
    return out


# --- create, edit, move, delete -------------------------------------------------------------------


async def test_create_edit_and_delete_a_grid_with_audit(client: Client, admin_token: str) -> None:
    created = await create(
        client,
        admin_token,
        code="370783-001-001-06",
        name="东庄村第六网格",
        level="grid",
        parent=VILLAGE,
        boundary=square(118.6, 36.9, 0.002),
        properties={"households": 12},
    )
    grids = await all_grids(client, admin_token)
    assert created["parent_id"] == grids[VILLAGE]["id"]
    assert created["depth"] == 3
    assert created["centre"] == pytest.approx([118.601, 36.901])
    assert created["properties"] == {"households": 12}
    assert len(grids) == 80

    url = f"/api/v1/grids/{created['id']}"
    patched = await client.patch(url, json={"name": "东庄村新网格"}, headers=bearer(admin_token))
    assert patched.status == 200
    assert (await patched.json())["name"] == "东庄村新网格"
    fetched = await client.get(url, headers=bearer(admin_token))
    assert (await fetched.json())["name"] == "东庄村新网格"

    assert (await client.delete(url, headers=bearer(admin_token))).status == 204
    gone = await client.get(url, headers=bearer(admin_token))
    assert gone.status == 404
    assert await error_code(gone) == "grid.not_found"
    assert len(await all_grids(client, admin_token)) == 79

    entries = await audit(client, admin_token, target_type="grid", target_id="370783-001-001-06")
    assert [e["action"] for e in entries] == ["grid.delete", "grid.update", "grid.create"]
    assert {e["actor"] for e in entries} == {"admin"}
    assert entries[1]["details"] == {"name": "东庄村新网格"}


async def test_duplicate_code_is_a_conflict(client: Client, admin_token: str) -> None:
    spec = {"code": VILLAGE, "name": "重复", "level": "village", "parent": "370783-001"}
    response = await client.post("/api/v1/grids", json=spec, headers=bearer(admin_token))
    assert response.status == 409
    assert await error_code(response) == "grid.code_taken"


async def test_move_rewrites_the_subtree(client: Client, admin_token: str) -> None:
    parent = await create(
        client, admin_token, code="blk-a", name="A", level="block", parent=VILLAGE
    )
    child = await create(
        client, admin_token, code="blk-a-1", name="A1", level="cell", parent="blk-a"
    )

    url = f"/api/v1/grids/{parent['id']}"
    moved = await client.patch(url, json={"parent": VILLAGE_B}, headers=bearer(admin_token))
    assert moved.status == 200
    grids = await all_grids(client, admin_token)
    assert (await moved.json())["parent_id"] == grids[VILLAGE_B]["id"]

    async def subtree(root: str) -> set[str]:
        response = await client.get(
            "/api/v1/grids", params={"root": root}, headers=bearer(admin_token)
        )
        return {g["code"] for g in await response.json()}

    assert {"blk-a", "blk-a-1"} <= await subtree(VILLAGE_B)
    assert not {"blk-a", "blk-a-1"} & await subtree(VILLAGE)
    # The village commander's scope follows the move.
    v02 = await login(client, "v02.cmd")
    seen = await client.get(f"/api/v1/grids/{child['id']}", headers=bearer(v02))
    assert seen.status == 200
    v01 = await login(client, "v01.cmd")
    assert (await client.get(f"/api/v1/grids/{child['id']}", headers=bearer(v01))).status == 403

    cycle = await client.patch(url, json={"parent": "blk-a-1"}, headers=bearer(admin_token))
    assert cycle.status == 409
    assert await error_code(cycle) == "grid.move_cycle"

    to_root = await client.patch(
        f"/api/v1/grids/{child['id']}",
        json={"parent": None, "move": True},
        headers=bearer(admin_token),
    )
    assert to_root.status == 200
    assert (await to_root.json())["parent_id"] is None
    assert (await to_root.json())["depth"] == 0


async def test_delete_of_a_grid_in_use_is_refused(client: Client, admin_token: str) -> None:
    grids = await all_grids(client, admin_token)
    for code in (VILLAGE, "370783-001-001-01"):  # has children; has people assigned
        response = await client.delete(
            f"/api/v1/grids/{grids[code]['id']}", headers=bearer(admin_token)
        )
        assert response.status == 409, code
        assert await error_code(response) == "grid.in_use"
    assert set(await all_grids(client, admin_token)) == set(grids)
    assert await audit(client, admin_token, action="grid.delete") == []


INVALID_BOUNDARIES = {
    "unclosed": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]},
    "too few positions": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]},
    "out of range": {
        "type": "Polygon",
        "coordinates": [[[0, 0], [200, 0], [200, 1], [0, 1], [0, 0]]],
    },
    "not a polygon": {"type": "Point", "coordinates": [118.6, 36.9]},
    "empty": {"type": "Polygon", "coordinates": []},
}


@pytest.mark.parametrize("kind", sorted(INVALID_BOUNDARIES))
async def test_invalid_geometry_is_refused_and_changes_nothing(
    client: Client, admin_token: str, kind: str
) -> None:
    boundary = INVALID_BOUNDARIES[kind]
    before = await all_grids(client, admin_token)
    spec = {"code": "bad-1", "name": "坏", "level": "grid", "parent": VILLAGE, "boundary": boundary}
    response = await client.post("/api/v1/grids", json=spec, headers=bearer(admin_token))
    assert response.status == 422
    assert await error_code(response) == "grid.geometry_invalid"

    target = before["370783-001-001-01"]
    patch = await client.patch(
        f"/api/v1/grids/{target['id']}", json={"boundary": boundary}, headers=bearer(admin_token)
    )
    assert patch.status == 422
    assert await error_code(patch) == "grid.geometry_invalid"
    assert await all_grids(client, admin_token) == before


async def test_malformed_coordinates_are_a_geometry_error(client: Client, admin_token: str) -> None:
    boundary = {"type": "Polygon", "coordinates": [[1, 2, 3, 4]]}
    spec = {"code": "bad-2", "name": "坏", "level": "grid", "parent": VILLAGE, "boundary": boundary}
    response = await client.post("/api/v1/grids", json=spec, headers=bearer(admin_token))
    assert response.status == 422
    assert await error_code(response) == "grid.geometry_invalid"


# --- GeoJSON --------------------------------------------------------------------------------------


async def test_export_import_round_trip_into_a_fresh_hub(
    start_hub: StartHub, database_url: str
) -> None:
    source = (await start_hub()).client
    source_admin = await login(source, "admin")
    exported = await source.get("/api/v1/grids/export.geojson", headers=bearer(source_admin))
    assert exported.status == 200
    document = await exported.json()
    assert len(document["features"]) == 79

    fresh = await start_hub(demo=False, database_url=database_url)
    fresh_admin = await login(fresh.client, "admin", fresh.admin_password)
    assert await all_grids(fresh.client, fresh_admin) == {}
    imported = await fresh.client.post(
        "/api/v1/grids/import", json=document, headers=bearer(fresh_admin)
    )
    assert imported.status == 200
    assert await imported.json() == {"created": 79, "updated": 0}

    original = by_code(await all_grids(source, source_admin))
    copied = by_code(await all_grids(fresh.client, fresh_admin))
    assert copied == original
    assert copied["370783-001-Z01"]["covers"] == sorted(
        ["370783-001-002-03", "370783-001-002-05", "370783-001-003-01", "370783-001-003-04"]
    )
    again = await fresh.client.get("/api/v1/grids/export.geojson", headers=bearer(fresh_admin))
    assert await again.json() == document


async def test_export_matches_the_demo_source(client: Client, admin_token: str) -> None:
    response = await client.get("/api/v1/grids/export.geojson", headers=bearer(admin_token))
    exported = {f["properties"]["code"]: f for f in (await response.json())["features"]}
    demo = {f["properties"]["code"]: f for f in demo_grids()["features"]}
    assert exported == demo


async def test_import_with_a_missing_parent_changes_nothing(
    client: Client, admin_token: str
) -> None:
    before = await all_grids(client, admin_token)
    document = {
        "type": "FeatureCollection",
        "features": [
            feature("ok-1", parent=VILLAGE),
            feature("orphan", parent="does-not-exist"),
        ],
    }
    response = await client.post("/api/v1/grids/import", json=document, headers=bearer(admin_token))
    assert response.status == 422
    assert await error_code(response) == "grid.parent_unknown"
    assert await all_grids(client, admin_token) == before


async def test_import_with_a_parent_cycle_changes_nothing(client: Client, admin_token: str) -> None:
    before = await all_grids(client, admin_token)
    document = {
        "type": "FeatureCollection",
        "features": [
            feature("ok-1", parent=VILLAGE),
            feature("loop-a", parent="loop-b"),
            feature("loop-b", parent="loop-a"),
        ],
    }
    response = await client.post("/api/v1/grids/import", json=document, headers=bearer(admin_token))
    assert response.status == 422
    assert await error_code(response) == "grid.import_invalid"
    assert await all_grids(client, admin_token) == before


async def test_import_that_would_move_a_grid_under_itself_changes_nothing(
    client: Client, admin_token: str
) -> None:
    before = await all_grids(client, admin_token)
    county = feature("370783", parent="370783-001", level="county")
    document = {"type": "FeatureCollection", "features": [feature("ok-1", parent=VILLAGE), county]}
    response = await client.post("/api/v1/grids/import", json=document, headers=bearer(admin_token))
    assert response.status == 409
    assert await error_code(response) == "grid.move_cycle"
    assert await all_grids(client, admin_token) == before


@pytest.mark.parametrize(
    "document",
    [
        {"type": "Feature"},
        {"type": "FeatureCollection", "features": [{"type": "Feature"}]},
        {"type": "FeatureCollection", "features": [{"properties": {"code": "x", "name": "x"}}]},
    ],
    ids=["not-a-collection", "no-properties", "missing-level"],
)
async def test_malformed_import_documents(
    client: Client, admin_token: str, document: dict[str, Any]
) -> None:
    response = await client.post("/api/v1/grids/import", json=document, headers=bearer(admin_token))
    assert response.status == 422
    assert await error_code(response) == "grid.import_invalid"


async def test_import_with_duplicate_codes_is_refused(client: Client, admin_token: str) -> None:
    document = {
        "type": "FeatureCollection",
        "features": [feature("dup", parent=VILLAGE), feature("dup", parent=VILLAGE)],
    }
    response = await client.post("/api/v1/grids/import", json=document, headers=bearer(admin_token))
    assert response.status == 422
    assert len(await all_grids(client, admin_token)) == 79


async def test_import_updates_existing_grids_by_code(client: Client, admin_token: str) -> None:
    demo = {f["properties"]["code"]: f for f in demo_grids()["features"]}
    renamed = copy.deepcopy(demo["370783-001-001-01"])
    renamed["properties"]["name"] = "东庄村一格"
    document = {
        "type": "FeatureCollection",
        "features": [renamed, feature("new-1", parent=VILLAGE)],
    }
    response = await client.post("/api/v1/grids/import", json=document, headers=bearer(admin_token))
    assert response.status == 200
    assert await response.json() == {"created": 1, "updated": 1}
    grids = await all_grids(client, admin_token)
    assert grids["370783-001-001-01"]["name"] == "东庄村一格"
    assert grids["new-1"]["parent_id"] == grids[VILLAGE]["id"]
    assert len(grids) == 80


async def test_reimporting_the_export_changes_nothing(client: Client, admin_token: str) -> None:
    before = await all_grids(client, admin_token)
    exported = await client.get("/api/v1/grids/export.geojson", headers=bearer(admin_token))
    response = await client.post(
        "/api/v1/grids/import", json=await exported.json(), headers=bearer(admin_token)
    )
    assert await response.json() == {"created": 0, "updated": 79}
    assert await all_grids(client, admin_token) == before


def feature(code: str, *, parent: str | None, level: str = "grid") -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": square(118.6, 36.9),
        "properties": {"code": code, "name": code, "level": level, "parent": parent},
    }


# --- locate ---------------------------------------------------------------------------------------


async def test_locate_finds_the_demo_grid_around_its_centre(client: Client) -> None:
    token = await login(client, "w01")
    for code in ("370783-001-002-03", "370783-003-004-05", "370783-002-001-01"):
        demo = next(f for f in demo_grids()["features"] if f["properties"]["code"] == code)
        lon, lat = demo["properties"]["centre"]
        response = await client.get(
            "/api/v1/grids/locate", params={"lat": lat, "lon": lon}, headers=bearer(token)
        )
        assert response.status == 200
        assert (await response.json())["code"] == code


async def test_locate_outside_every_grid(client: Client) -> None:
    token = await login(client, "w01")
    response = await client.get(
        "/api/v1/grids/locate", params={"lat": 10, "lon": 10}, headers=bearer(token)
    )
    assert response.status == 404
    assert await error_code(response) == "grid.not_located"
    anonymous = await client.get("/api/v1/grids/locate", params={"lat": 36.9, "lon": 118.75})
    assert anonymous.status == 401
