"""The demo county's mediation cases: seeded once across its villages, every state of the
workflow, and the county's ledger reads them."""

from __future__ import annotations

from hub.keys import PLUGINS
from hub.testing import RunningHub
from tests.plugins.mediation.conftest import API, COUNTY


async def test_demo_cases_are_seeded_once_and_fill_the_ledger(hub: RunningHub) -> None:
    assert "mediation" in await hub.app[PLUGINS].seed_demo_all()
    await hub.app[PLUGINS].seed_demo_all()  # every start of gridhub demo: no doubles
    county = await hub.sign_in("county.cmd")
    cases = (await county.json("GET", f"{API}/cases"))["cases"]
    assert len(cases) == 12
    assert {c["state"] for c in cases} == {
        "pending", "accepted", "agreed", "performed", "failed", "referred"}  # fmt: skip
    assert len({c["grid_id"] for c in cases}) >= 9  # spread over the villages
    assert any(c["risk"] == "high" and c["level"] == "town" for c in cases)
    ledger = await county.json(
        "GET", f"{API}/ledger", params={"grid_id": str(await hub.grid_id(COUNTY))}
    )
    assert ledger["total"] == 12
    assert 0 < ledger["success_rate"] < 1
    assert ledger["average_days"] is not None
    town1 = await hub.sign_in("town1.cmd")
    mine = (await town1.json("GET", f"{API}/cases"))["cases"]
    assert 0 < len(mine) < 12  # its own villages only
    experts = (await town1.json("GET", f"{API}/experts"))["experts"]
    assert {e["grid_name"] for e in experts} == {"洛城街道", "寿光市"}
    village = await hub.grid_id("370783-001-001")
    shown = await hub.anonymous().json(
        "GET", f"{API}/public/articles", params={"village_id": village}
    )
    assert len(shown["articles"]) == 2  # the county's and 洛城街道's


async def test_map_layers_show_open_cases_by_risk(hub: RunningHub) -> None:
    await hub.app[PLUGINS].seed_demo_all()
    county = await hub.sign_in("county.cmd")
    high = await county.json("GET", f"{API}/map/high.geojson")
    assert [f["properties"]["risk"] for f in high["features"]] == ["高"]
    assert "工资" in high["features"][0]["properties"]["name"]
    others = await county.json("GET", f"{API}/map/open.geojson")
    cases = (await county.json("GET", f"{API}/cases"))["cases"]
    still_open = [c for c in cases if c["state"] in {"pending", "accepted", "failed"}]
    assert len(others["features"]) == len(still_open) - 1
    assert all(f["geometry"]["type"] == "Point" for f in others["features"])
    manifest = await county.json("GET", "/api/v1/ui/manifest")
    [mine] = [p for p in manifest["plugins"] if p["name"] == "mediation"]
    assert {layer["id"] for layer in mine["map_layers"]} == {"high_risk", "open_cases"}
    worker = await hub.sign_in("w01")  # no mediation role: no layer, no data
    assert await worker.refused("GET", f"{API}/map/high.geojson") == (403, "auth.role_required")
