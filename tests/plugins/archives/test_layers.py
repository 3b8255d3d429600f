"""The archive's map layers: houses clustered (or single in a zoomed viewport), places, key
groups counted only for the tags the caller may see; all cut to the caller's grids; the page
and layers in the manifest of staff, not of residents."""

from __future__ import annotations

from typing import Any

import pytest

from hub.testing import HubClient
from tests.plugins.archives.conftest import (
    API,
    BASIC,
    ID_MAN,
    ID_WOMAN,
    OTHER_BASIC,
    StartGridHub,
    add_resident,
    archives_hub,
)


async def add_house(client: HubClient, grid_id: int, code: str, lng: float, lat: float
                    ) -> dict[str, Any]:  # fmt: skip
    body = {"grid_id": grid_id, "code": code, "address_text": f"{code}号", "lng": lng, "lat": lat}
    made: dict[str, Any] = await client.json("POST", f"{API}/houses", json=body)
    return made


def counts(layer: dict[str, Any]) -> int:
    return sum(f["properties"].get("count", 1) for f in layer["features"])


async def test_layers_cut_to_scope_and_tag_sight(start_gridhub: StartGridHub) -> None:
    hub = await archives_hub(start_gridhub)
    officer = await hub.sign_in("arch.officer")
    basic, other = await hub.grid_id(BASIC), await hub.grid_id(OTHER_BASIC)
    mine = [await add_house(officer, basic, f"DZ-{n}", 118.5801 + n * 0.0001, 36.9001)
            for n in range(3)]  # fmt: skip
    await add_house(officer, other, "WJ-1", 118.6601, 36.9301)
    await add_resident(officer, basic, ID_MAN, house_id=mine[0]["id"],
                       tags=["community_correction"])  # fmt: skip
    await add_resident(officer, basic, ID_WOMAN, house_id=mine[1]["id"], tags=["elderly_alone"])
    await officer.json("POST", f"{API}/places", json={
        "grid_id": basic, "name": "东庄村加油站", "kind": "hazardous", "risk_level": "high",
        "inspection_interval_days": 7, "lng": 118.581, "lat": 36.901,
        "phone": "0536-5123456"})  # fmt: skip

    w01, leader = await hub.sign_in("w01"), await hub.sign_in("v01.lead")
    # the console map's one read (no viewport, no zoom): a small scope comes as single houses
    unzoomed = await w01.json("GET", f"{API}/houses.geojson")
    assert sorted(f["properties"]["id"] for f in unzoomed["features"]) == [h["id"] for h in mine]
    assert {f["properties"]["kind"] for f in unzoomed["features"]} == {"house"}
    clusters = await w01.json("GET", f"{API}/houses.geojson", params={"zoom": 12})
    assert counts(clusters) == 3
    assert {f["properties"]["kind"] for f in clusters["features"]} == {"cluster"}
    assert counts(await officer.json("GET", f"{API}/houses.geojson", params={"zoom": 12})) == 4
    zoomed = await w01.json("GET", f"{API}/houses.geojson",
                            params={"bbox": "118.57,36.89,118.59,36.91", "zoom": 17})  # fmt: skip
    assert sorted(f["properties"]["id"] for f in zoomed["features"]) == [h["id"] for h in mine]
    [place] = (await w01.json("GET", f"{API}/places.geojson"))["features"]
    assert place["properties"]["risk_level"] == "high"
    assert "0536" not in str(place)
    # the console map's viewport reads: places clustered below zoom 14, single from there
    box = "118.57,36.89,118.59,36.91"
    far = await w01.json("GET", f"{API}/places.geojson", params={"bbox": box, "zoom": 11})
    assert [(f["properties"]["kind"], f["properties"]["count"]) for f in far["features"]] == [
        ("cluster", 1)]  # fmt: skip
    near = await w01.json("GET", f"{API}/places.geojson", params={"bbox": box, "zoom": 14})
    assert [f["properties"]["id"] for f in near["features"]] == [place["properties"]["id"]]
    assert counts(await w01.json("GET", f"{API}/keygroups.geojson")) == 1  # care tag only
    assert counts(await leader.json("GET", f"{API}/keygroups.geojson")) == 2
    w08 = await hub.sign_in("w08")
    assert counts(await w08.json("GET", f"{API}/keygroups.geojson")) == 0
    assert await w01.refused("GET", f"{API}/houses.geojson", params={"bbox": "1,2,3"}) == (
        422, "archives.bbox_invalid")  # fmt: skip


async def test_page_and_layers_in_the_manifest_of_staff_only(
    start_gridhub: StartGridHub,
) -> None:
    hub = await archives_hub(start_gridhub)

    async def items(username: str) -> tuple[list[str], list[str]]:
        client = await hub.sign_in(username)
        manifest = await client.json("GET", "/api/v1/ui/manifest")
        found = [p for p in manifest["plugins"] if p["name"] == "archives"]
        if not found:
            return [], []
        return ([p["id"] for p in found[0]["pages"]],
                [m["id"] for m in found[0]["map_layers"]])  # fmt: skip

    assert await items("w01") == (["archives"], ["houses", "places", "keygroups"])
    # houses and places follow the console map's viewport (asked again with bbox and zoom)
    manifest = await (await hub.sign_in("w01")).json("GET", "/api/v1/ui/manifest")
    [mine] = [p for p in manifest["plugins"] if p["name"] == "archives"]
    assert {m["id"]: m["viewport"] for m in mine["map_layers"]} == {
        "houses": True, "places": True, "keygroups": False}  # fmt: skip
    assert await items("r01") == ([], [])
    # the big screen's panel and the incident drawer's card, for staff too
    assert [(i["id"], i["export"]) for i in mine["screen_panels"]] == [
        ("archives", "ArchivesPanel")
    ]
    assert [(i["id"], i["export"]) for i in mine["drawer_cards"]] == [("archives-near",
                                                                       "IncidentCard")]  # fmt: skip


def clustered(layer: dict[str, Any]) -> list[tuple[float, float, int]]:
    """(lng, lat, count) of each cluster, sorted."""
    return sorted((*f["geometry"]["coordinates"], f["properties"]["count"])
                  for f in layer["features"])  # fmt: skip


async def test_the_cluster_summary_follows_new_moved_and_imported_houses(
    start_gridhub: StartGridHub, database_url: str
) -> None:
    """The cluster view reads the per-cell summary (cells.py): a house added, moved to another
    cell or grid, and a file of imported houses all count at once, each in its own cell and
    only for those whose grids they are in. On SQLite and PostgreSQL (the upserts differ)."""
    hub = await archives_hub(start_gridhub, database_url=database_url)
    officer, w01 = await hub.sign_in("arch.officer"), await hub.sign_in("w01")
    basic, other = await hub.grid_id(BASIC), await hub.grid_id(OTHER_BASIC)
    box = {"bbox": "118.50,36.85,118.70,36.95", "zoom": 13}  # cells of 0.0156 degrees
    first = await add_house(officer, basic, "CELL-1", 118.5801, 36.9001)
    await add_house(officer, basic, "CELL-2", 118.5803, 36.9003)
    assert clustered(await w01.json("GET", f"{API}/houses.geojson", params=box)) == [
        (118.5802, 36.9002, 2)]  # fmt: skip

    # moved into the next cell east, then into a grid w01 does not see
    path = f"{API}/houses/{first['id']}"
    await officer.json("PATCH", path, json={"lng": 118.6001, "lat": 36.9001})
    assert clustered(await w01.json("GET", f"{API}/houses.geojson", params=box)) == [
        (118.5803, 36.9003, 1), (118.6001, 36.9001, 1)]  # fmt: skip
    await officer.json("PATCH", path, json={"grid_id": other})
    assert clustered(await w01.json("GET", f"{API}/houses.geojson", params=box)) == [
        (118.5803, 36.9003, 1)]  # fmt: skip
    assert counts(await officer.json("GET", f"{API}/houses.geojson", params=box)) == 2

    csv = "房屋编码,网格编码,地址,经度,纬度\n" + "".join(
        f"IMP-{n},{BASIC},测试路{n}号,118.5805,36.9005\n" for n in range(3))  # fmt: skip
    response = await officer.request("POST", f"{API}/import", data=csv.encode(),
                                     params={"kind": "houses", "format": "csv",
                                             "dry_run": "false"})  # fmt: skip
    assert response.status == 200, await response.text()
    [(lng, lat, count)] = clustered(await w01.json("GET", f"{API}/houses.geojson", params=box))
    assert (lng, lat, count) == (pytest.approx(118.58045), pytest.approx(36.90045), 4)
    # a viewport away from them: no cluster
    away = {"bbox": "118.80,36.85,118.90,36.95", "zoom": 13}
    assert (await w01.json("GET", f"{API}/houses.geojson", params=away))["features"] == []


def house_ids(layer: dict[str, Any]) -> list[int]:
    return sorted(f["properties"]["id"] for f in layer["features"])


async def test_single_houses_are_exactly_those_inside_the_viewport(
    start_gridhub: StartGridHub, database_url: str
) -> None:
    """The zoomed-in view reads houses through their zoom-16 cell (cell_x, cell_y): houses on
    the box's edges are in, a hair outside are out, a house moved across cells or imported is
    found in its new cell only, another grid's house only by those who see that grid."""
    hub = await archives_hub(start_gridhub, database_url=database_url)
    officer, w01 = await hub.sign_in("arch.officer"), await hub.sign_in("w01")
    basic, other = await hub.grid_id(BASIC), await hub.grid_id(OTHER_BASIC)
    box = "118.5790,36.8990,118.5830,36.9010"  # not aligned to the 0.00195° cells

    async def seen(who: HubClient, zoom: int = 17, bbox: str = box) -> list[int]:
        params = {"bbox": bbox, "zoom": zoom}
        return house_ids(await who.json("GET", f"{API}/houses.geojson", params=params))

    inside = [(await add_house(officer, basic, code, lng, lat))["id"] for code, lng, lat in (
        ("EDGE-W", 118.5790, 36.9000), ("EDGE-NE", 118.5830, 36.9010),
        ("EDGE-S", 118.5800, 36.8990))]  # fmt: skip
    for code, lng, lat in (("OUT-E", 118.58301, 36.9), ("OUT-N", 118.58, 36.90101)):
        await add_house(officer, basic, code, lng, lat)
    moving = (await add_house(officer, basic, "MOVE-IN", 118.5900, 36.9200))["id"]
    leaving = (await add_house(officer, basic, "MOVE-OUT", 118.5810, 36.9005))["id"]
    theirs = (await add_house(officer, other, "OTHER-1", 118.5815, 36.9002))["id"]
    assert await seen(w01) == sorted([*inside, leaving])
    await officer.json("PATCH", f"{API}/houses/{moving}", json={"lng": 118.5810, "lat": 36.9})
    await officer.json("PATCH", f"{API}/houses/{leaving}", json={"lng": 118.60, "lat": 36.95})
    csv = f"房屋编码,网格编码,地址,经度,纬度\nIMP-1,{BASIC},测试路1号,118.5820,36.9004\n"
    response = await officer.request("POST", f"{API}/import", data=csv.encode(),
                                     params={"kind": "houses", "format": "csv",
                                             "dry_run": "false"})  # fmt: skip
    assert response.status == 200, await response.text()
    imported = [f["properties"]["id"] for f in (await officer.json(
        "GET", f"{API}/houses.geojson", params={"bbox": "118.5819,36.9003,118.5821,36.9005",
                                                 "zoom": 18}))["features"]]  # fmt: skip
    assert len(imported) == 1
    mine = sorted([*inside, moving, *imported])
    assert await seen(w01) == mine
    assert await seen(w01, zoom=16) == mine
    assert await seen(officer) == sorted([*mine, theirs])
    # a wide box at zoom 16 (more cell rows than listed one by one) still answers exactly
    everything = await seen(w01, zoom=16, bbox="118.0,36.0,119.0,37.5")
    assert set(mine) | {leaving} <= set(everything)
    assert theirs not in everything
