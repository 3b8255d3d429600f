"""The demo county's synthetic archive: seeded once (a second call changes nothing), valid ID
numbers, people hung on the county's basic grids, every house in the map's cluster summary,
and written so that later single writes get
fresh ids (PostgreSQL's serials moved past the seeded ids)."""

from __future__ import annotations

from typing import Any

from hub.sdk import PluginContext
from hub.testing import running_hub
from plugins.archives import ArchivesPlugin
from plugins.archives.checks import check_id_number
from plugins.archives.seed import HOUSES
from tests.plugins.archives.conftest import API, BASIC, OFFICER, VILLAGE, id_number, person


class Capturing(ArchivesPlugin):
    """The plugin, keeping its context so the test can call seed_demo as `gridhub demo` does."""

    context: PluginContext | None = None

    async def setup(self, ctx: PluginContext) -> None:
        await super().setup(ctx)
        self.context = ctx


async def test_seed_once_valid_and_writable_after(
    database_url: str, gridhub_demo_template: Any
) -> None:
    plugin = Capturing()
    async with running_hub([plugin], demo=True, demo_template=gridhub_demo_template,
                           database_url=database_url) as hub:  # fmt: skip
        assert plugin.context is not None
        await plugin.seed_demo(plugin.context)
        await plugin.seed_demo(plugin.context)  # a restart: nothing doubles
        await hub.add_person("arch.officer", [(OFFICER, "370783")])
        officer, worker = await hub.sign_in("arch.officer"), await hub.sign_in("w01")
        houses = await officer.json("GET", f"{API}/houses", params={"limit": 200})
        assert len(houses["items"]) == 200
        assert houses["has_more"]
        # the cluster summary holds every seeded house (once, after the second call too)
        clusters = await officer.json("GET", f"{API}/houses.geojson", params={"zoom": 10})
        assert sum(f["properties"]["count"] for f in clusters["features"]) == HOUSES
        found = await officer.json("GET", f"{API}/residents", params={"q": "王", "limit": 200})
        assert len(found["items"]) == 200
        revealed = await officer.json("POST", f"{API}/residents/{found['items'][0]['id']}/reveal")
        assert check_id_number(revealed["id_number"]) == []
        assert revealed["id_number"].startswith("370783")
        mine = await worker.json("GET", f"{API}/residents", params={"limit": 200})
        basic = await hub.grid_id(BASIC)
        village = {await hub.grid_id(f"{VILLAGE}-0{n}") for n in range(1, 5)}  # w01's and
        assert basic in {r["grid_id"] for r in mine["items"]} <= village  # its party grid's
        made = await officer.json("POST", f"{API}/residents",
                                  json=person(basic, id_number("37078319991231001")))  # fmt: skip
        assert made["id"] > 15_000  # after the ~20,000 seeded people, not among them
