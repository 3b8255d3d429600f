"""The neighbourhood feed: posts with photos and comments, moderation by the village (hide and
restore, audited), a report once per resident, a reported post turned into an incident."""

from __future__ import annotations

import base64

import aiohttp

from hub.testing.fixtures import StartGridHub
from tests.plugins.participation.conftest import (
    API,
    OTHER_GRID,
    VILLAGE,
    add_resident,
    participation_hub,
)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


async def photo_of(url: str, token: str | None, photo_id: int) -> tuple[int, str, bytes]:
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as http:
        path = f"{url}{API}/feed/photos/{photo_id}"
        async with http.get(path, headers=headers) as response:
            return response.status, response.content_type, await response.read()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def test_post_moderation_report_and_incident(start_gridhub: StartGridHub) -> None:
    hub = await start_gridhub(["participation", "dispatch"], demo=True)
    officer = await hub.sign_in("v01.cmd")
    village = await hub.grid_id(VILLAGE)
    await add_resident(hub, "feed.a")
    await add_resident(hub, "feed.b")
    author, neighbour = await hub.sign_in("feed.a"), await hub.sign_in("feed.b")
    spec = {"grid_id": village, "text": "村西路灯坏了好几天", "photos": [b64(PNG)]}
    post = await author.json("POST", f"{API}/feed/posts", json=spec)
    assert await photo_of(hub.url, neighbour.token, post["photos"][0]) == (200, "image/png", PNG)
    await neighbour.json("POST", f"{API}/feed/posts/{post['id']}/comments", json={"text": "是的"})
    await neighbour.json(
        "POST", f"{API}/feed/posts/{post['id']}/reports", json={"reason": "安全隐患"}
    )
    assert await neighbour.refused(
        "POST", f"{API}/feed/posts/{post['id']}/reports", json={"reason": "再报"}
    ) == (409, "participation.already_reported")

    moderation = f"{API}/feed/posts/{post['id']}/moderation"
    await officer.json("POST", moderation, json={"action": "hide", "reason": "核实中"})
    assert (await neighbour.json("GET", f"{API}/feed/posts"))["posts"] == []
    assert await neighbour.refused("GET", f"{API}/feed/photos/{post['photos'][0]}") == (
        404,
        "participation.post_not_found",
    )
    seen = (await officer.json("GET", f"{API}/feed/posts"))["posts"]
    assert [(p["id"], p["state"], p["reports"]) for p in seen] == [(post["id"], "hidden", 1)]
    await officer.json("POST", moderation, json={"action": "restore", "reason": "已核实"})
    shown = (await neighbour.json("GET", f"{API}/feed/posts"))["posts"]
    assert [(p["id"], [c["text"] for c in p["comments"]]) for p in shown] == [
        (post["id"], ["是的"])
    ]
    assert "reports" not in shown[0]
    audit = await (await hub.admin()).json(
        "GET", "/api/v1/audit", params={"action": "participation.post.hide"}
    )
    assert [(e["actor"], e["target_id"]) for e in audit] == [("v01.cmd", str(post["id"]))]

    await officer.json(
        "POST", f"{API}/feed/posts/{post['id']}/incident", json={"category": "road_facility"}
    )
    await hub.settle()
    seen = (await officer.json("GET", f"{API}/feed/posts"))["posts"]
    assert seen[0]["incident_number"]


async def test_bad_posts_and_scope_change_nothing(start_gridhub: StartGridHub) -> None:
    hub = await participation_hub(start_gridhub)
    village = await hub.grid_id(VILLAGE)
    await add_resident(hub, "feed.c")
    await add_resident(hub, "feed.far", OTHER_GRID)
    resident, stranger = await hub.sign_in("feed.c"), await hub.sign_in("feed.far")
    officer = await hub.sign_in("v01.cmd")
    bad = [
        ({"grid_id": village, "text": ""}, (422, "request.invalid")),
        ({"grid_id": village, "text": "x", "photos": [b64(PNG)] * 5}, (422, "request.invalid")),
        (
            {"grid_id": village, "text": "x", "photos": ["不是base64"]},
            (422, "participation.photo_form"),
        ),
        (
            {"grid_id": village, "text": "x", "photos": [b64(PNG), b64(b"MZ\x90\x00" * 16)]},
            (415, "participation.photo_type"),
        ),
        (
            {"grid_id": village, "text": "x", "photos": [b64(PNG + bytes(700 * 1024))]},
            (413, "participation.photo_too_large"),
        ),
    ]
    for body, refusal in bad:
        assert await resident.refused("POST", f"{API}/feed/posts", json=body) == refusal
    assert await stranger.refused(
        "POST", f"{API}/feed/posts", json={"grid_id": village, "text": "x"}
    ) == (403, "scope.forbidden")
    assert await officer.refused(
        "POST", f"{API}/feed/posts", json={"grid_id": village, "text": "x"}
    ) == (403, "auth.role_required")
    assert (await officer.json("GET", f"{API}/feed/posts"))["posts"] == []
    post = await resident.json("POST", f"{API}/feed/posts", json={"grid_id": village, "text": "好"})
    assert await stranger.refused(
        "POST", f"{API}/feed/posts/{post['id']}/reports", json={"reason": "x"}
    ) == (403, "scope.forbidden")
    assert await resident.refused(
        "POST", f"{API}/feed/posts/{post['id']}/moderation", json={"action": "hide", "reason": "x"}
    ) == (403, "auth.role_required")
    assert await officer.refused("POST", f"{API}/feed/posts/{post['id']}/incident", json={}) == (
        409,
        "participation.dispatch_unavailable",
    )
