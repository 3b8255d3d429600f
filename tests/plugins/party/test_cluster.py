"""Two hub nodes on one PostgreSQL database and one Redis (cluster mode): the plugin's
migrations run there, an item drafted on one node is approved on the other, and the
residents' question limit is one limit across the nodes (counted in the database)."""

from __future__ import annotations

import pytest

from hub.testing.fixtures import StartGridHub
from tests import services
from tests.plugins.party.conftest import API, VILLAGE, draft

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
        await one.stop()
        await two.stop()
