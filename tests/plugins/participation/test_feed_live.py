"""The feed's limits and live push: a resident's posts and comments are limited per person (not
per address), even under concurrent requests, and a refused one stores nothing; a new post
reaches the consoles of the commands covering its village over the socket, and only those."""

from __future__ import annotations

import asyncio

from hub.testing.fixtures import StartGridHub
from tests.plugins.participation.conftest import (
    API,
    OTHER_GRID,
    OTHER_VILLAGE,
    VILLAGE,
    add_resident,
    participation_hub,
)

EVENT = "participation.post_published"


async def test_posts_and_comments_are_limited_per_resident(start_gridhub: StartGridHub) -> None:
    hub = await participation_hub(start_gridhub)
    village = await hub.grid_id(VILLAGE)
    for name in ("lim.a", "lim.b"):
        await add_resident(hub, name)
    busy, other = await hub.sign_in("lim.a"), await hub.sign_in("lim.b")
    spec = {"grid_id": village, "text": "晒一晒今天的集市"}
    answers = await asyncio.gather(*(busy.post(f"{API}/feed/posts", json=spec) for _ in range(8)))
    assert sorted(a.status for a in answers) == [201] * 6 + [429] * 2
    refused = await next(a for a in answers if a.status == 429).json()
    assert refused["error"]["code"] == "participation.feed_rate_limited"
    assert 0 < refused["error"]["details"]["retry_after"] <= 3600
    listed = await other.json("GET", f"{API}/feed/posts")
    assert len(listed["posts"]) == 6  # the refused ones stored nothing
    post = await other.json("POST", f"{API}/feed/posts", json=spec)  # a window of their own
    path = f"{API}/feed/posts/{post['id']}/comments"
    for k in range(30):
        await busy.json("POST", path, json={"text": f"第{k}条"})
    assert await busy.refused("POST", path, json={"text": "再说一句"}) == (
        429,
        "participation.feed_rate_limited",
    )
    await other.json("POST", path, json={"text": "楼主的评论不受影响"})


async def test_a_new_post_reaches_the_village_commands_console(start_gridhub: StartGridHub) -> None:
    hub = await participation_hub(start_gridhub)
    village, other_village = await hub.grid_id(VILLAGE), await hub.grid_id(OTHER_VILLAGE)
    await add_resident(hub, "live.a")
    await add_resident(hub, "live.far", OTHER_GRID)
    ours, theirs = await hub.socket("v01.cmd"), await hub.socket("v02.cmd")
    resident, far = await hub.sign_in("live.a"), await hub.sign_in("live.far")
    post = await resident.json(
        "POST", f"{API}/feed/posts", json={"grid_id": village, "text": "村口新开了便民超市"}
    )
    pushed = await ours.next(EVENT)
    assert (pushed["id"], pushed["text"], pushed["grid_id"]) == (post["id"], post["text"], village)
    far_post = await far.json(
        "POST", f"{API}/feed/posts", json={"grid_id": other_village, "text": "王家村的消息"}
    )
    # The neighbouring command's first push is its own village's post, not ours.
    assert (await theirs.next(EVENT))["id"] == far_post["id"]
    await ours.close()
    await theirs.close()
