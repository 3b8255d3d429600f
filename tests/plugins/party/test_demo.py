"""The demo county's party data: seeded once (a restart never doubles it) and readable through
the plugin's own routes by the town commander and on the residents' page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.keys import PLUGINS
from hub.testing import RunningHub
from tests.plugins.party.conftest import API, VILLAGE


async def test_seed_demo_once_and_what_it_shows(hub: RunningHub) -> None:
    assert "party" in await hub.app[PLUGINS].seed_demo_all()
    await hub.app[PLUGINS].seed_demo_all()  # the next start: nothing doubles
    town = await hub.sign_in("town1.cmd")
    orgs = (await town.json("GET", f"{API}/orgs"))["items"]
    assert [(o["kind"], o["members"]) for o in orgs] == [
        ("committee", 0), ("branch", 3), ("branch", 3)]  # fmt: skip
    branch = orgs[1]
    assert branch["grid_name"] == "东庄村党建网格"  # the branch sits on the party overlay
    members = (await town.json("GET", f"{API}/orgs/{branch['id']}/members"))["items"]
    assert sorted(m["points"] for m in members) == [4, 7, 10]
    rates = (await town.json("GET", f"{API}/attendance"))["items"]
    assert [r["meetings"] for r in rates] == [0, 1, 1]
    queue = await town.json("GET", f"{API}/disclosures", params={"state": "submitted"})
    assert len(queue["items"]) == 2
    public = await hub.anonymous().json(
        "GET", f"{API}/public/disclosures", params={"grid": VILLAGE}
    )
    assert [i["title"] for i in public["items"]] == ["党员发展及党费收缴情况"]
    promotion = await hub.anonymous().json(
        "GET", f"{API}/public/promotion", params={"grid": VILLAGE}
    )
    assert sorted(i["title"] for i in promotion["items"]) == [
        "党课：村级事务民主决策", "学习贯彻党的二十大精神"]  # fmt: skip


async def test_the_map_layer_and_the_big_screen_summary(hub: RunningHub) -> None:
    await hub.app[PLUGINS].seed_demo_all()
    town = await hub.sign_in("town1.cmd")
    layer = await town.json("GET", f"{API}/party-grids.geojson")
    # town 1 holds one of the demo county's two party-building grids
    assert [f["properties"]["name"] for f in layer["features"]] == ["东庄村党建网格 · 东庄村党支部"]
    assert layer["features"][0]["geometry"]["type"] == "Polygon"
    county = await hub.sign_in("county.cmd")
    assert len((await county.json("GET", f"{API}/party-grids.geojson"))["features"]) == 2
    summary = await town.json("GET", f"{API}/summary")
    assert summary["members_by_branch"] == [
        {"name": "东庄村党支部", "members": 3},
        {"name": "王家村党支部", "members": 3},
    ]
    a_week_ago = datetime.now(UTC) - timedelta(days=7)
    assert summary["meetings_held"] == (2 if a_week_ago.year == datetime.now(UTC).year else 0)
    assert [p["points"] for p in summary["points_leaders"]] == [10, 10, 7, 7, 4]
    assert summary["disclosure"]["overdue"] > 0  # the other villages published nothing
    assert await (await hub.sign_in("w01")).refused("GET", f"{API}/summary") == (
        403,
        "auth.role_required",
    )
