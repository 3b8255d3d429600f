"""The archive's map layers: houses clustered (or single in a zoomed viewport), places, key
groups counted only for the tags the caller may see; all cut to the caller's grids; the page
and layers in the manifest of staff, not of residents."""

from __future__ import annotations

from typing import Any

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
