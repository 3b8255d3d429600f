"""Two hub nodes on one PostgreSQL database and one Redis (cluster mode): the plugin's
migrations run there, an item drafted on one node is approved on the other, the
residents' question limit is one limit across the nodes (counted in the database), and a
video uploaded on one node is served by byte ranges on the other (substr of a bytea)."""

from __future__ import annotations

import aiohttp
import pytest

from hub.testing import RunningHub
from hub.testing.fixtures import StartGridHub
from tests import services
from tests.plugins.party.conftest import API, VILLAGE, draft
from tests.plugins.party.test_building import upload
from tests.plugins.party.test_promotion import MP4

pytestmark = pytest.mark.postgres


async def test_two_nodes_share_the_flow_and_the_question_limit(
    start_gridhub: StartGridHub, postgres_server: str, redis_url: str
) -> None:
    with services.fresh_database(postgres_server, "gridhub_party_") as url:
        plugins = ["party", "dispatch"]
        one = await start_gridhub(plugins, demo=True, database_url=url, redis_url=redis_url)
        two = await start_gridhub(plugins, database_url=url, redis_url=redis_url)
        item = await draft(await one.sign_in("v01.cmd"), await one.grid_id(VILLAGE))
        await (await one.sign_in("v01.cmd")).json("POST", f"{API}/disclosures/{item}/submit")
        town = await two.sign_in("town1.cmd")
        review = await town.json(
            "POST", f"{API}/disclosures/{item}/review", json={"decision": "approve"}
        )
        assert review["state"] == "published"
        public = await one.anonymous().json("GET", f"{API}/public/disclosures/{item}")
        assert public["versions"][0]["state"] == "published"

        ask = f"{API}/public/disclosures/{item}/questions"
        for n, node in enumerate([one, two, one, two, one]):
            await node.anonymous().json("POST", ask, json={"text": f"问题{n}"})
        assert await two.anonymous().refused("POST", ask, json={"text": "第六个"}) == (
            429, "party.rate_limited")  # fmt: skip
        await video_across_nodes(one, two)
        await one.stop()
        await two.stop()


async def video_across_nodes(one: RunningHub, two: RunningHub) -> None:
    town = await one.sign_in("town1.cmd")
    body = {"kind": "course", "title": "党课", "grid_ids": [await one.grid_id(VILLAGE)]}
    item = (await town.json("POST", f"{API}/promotion", json=body))["id"]
    media = await town.json("POST", f"{API}/promotion/{item}/media", data=upload("课.mp4", MP4))
    await town.json("POST", f"{API}/promotion/{item}/publish")
    async with aiohttp.ClientSession(two.url) as http:
        got = await http.get(
            f"{API}/public/promotion/{item}/media/{media['id']}",
            headers={"Range": "bytes=4000-4099"},
        )
        assert (got.status, await got.read()) == (206, MP4[4000:4100])
