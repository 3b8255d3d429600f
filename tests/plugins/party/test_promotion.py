"""党建宣传 over HTTP: staff write articles and courses for grids with images and a video,
publish them; residents read them by village with no sign-in and play the video by byte
ranges; a member's reading is recorded once and shows in the branch's reading ledger."""

from __future__ import annotations

from typing import Any

import aiohttp

from hub.testing import HubClient, RunningHub
from tests.plugins.party.conftest import API, OTHER_TOWN_VILLAGE, VILLAGE
from tests.plugins.party.test_building import PNG, branch, member, upload

MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40  # 10,252 bytes, an MP4 by its head
TOWN = "370783-001"  # 洛城街道
NEIGHBOUR = "370783-001-002"  # 王家村, same town


async def write(client: HubClient, hub: RunningHub, kind: str, title: str, *codes: str) -> int:
    grids = [await hub.grid_id(code) for code in codes]
    body = {"kind": kind, "title": title, "body": "<b>学习</b>\n第二段", "grid_ids": grids}
    return int((await client.json("POST", f"{API}/promotion", json=body))["id"])


async def titles(client: HubClient, **params: str) -> list[str]:
    items = (await client.json("GET", f"{API}/public/promotion", params=params))["items"]
    return [i["title"] for i in items]


async def test_items_for_grids_media_by_range_and_reads_once(hub: RunningHub) -> None:
    town = await hub.sign_in("town1.cmd")
    article = await write(town, hub, "article", "学习二十大精神", TOWN)
    course = await write(town, hub, "course", "东庄村党课", VILLAGE)
    image = await town.json(
        "POST", f"{API}/promotion/{article}/media", data=upload("会场.png", PNG)
    )
    video = await town.json("POST", f"{API}/promotion/{course}/media", data=upload("课.mp4", MP4))
    assert await town.refused(
        "POST", f"{API}/promotion/{course}/media", data=upload("x.pdf", b"%PDF-1.4\n")
    ) == (415, "party.media_type")
    resident = hub.anonymous()
    assert await titles(resident) == []  # drafts are not public
    assert await resident.refused("GET", f"{API}/public/promotion/{course}") == (
        404, "party.promo_not_found")  # fmt: skip
    for item in (article, course):
        await town.json("POST", f"{API}/promotion/{item}/publish")
    assert await town.refused("POST", f"{API}/promotion/{course}/publish") == (
        409, "party.promo_state")  # fmt: skip

    # residents: a town-wide article shows in each of its villages, the course in its own only
    assert await titles(resident, grid=VILLAGE) == ["东庄村党课", "学习二十大精神"]
    assert await titles(resident, grid=NEIGHBOUR) == ["学习二十大精神"]
    assert await titles(resident, grid=OTHER_TOWN_VILLAGE) == []
    villages = (await resident.json("GET", f"{API}/public/promotion/villages"))["items"]
    assert VILLAGE in [v["code"] for v in villages]
    assert OTHER_TOWN_VILLAGE not in [v["code"] for v in villages]
    detail = await resident.json("GET", f"{API}/public/promotion/{course}")
    assert detail["body"] == "<b>学习</b>\n第二段"  # kept as typed: pages show it as text
    assert [(m["id"], m["content_type"], m["size"]) for m in detail["media"]] == [
        (video["id"], "video/mp4", len(MP4))
    ]
    await media_by_range(hub, f"{API}/public/promotion/{course}/media/{video['id']}")
    shown = await resident.json("GET", f"{API}/public/promotion/{article}")
    assert [m["id"] for m in shown["media"]] == [image["id"]]
    await reads_once(hub, town, article, course)

    await town.json("POST", f"{API}/promotion/{course}/withdraw")
    assert await titles(resident, grid=VILLAGE) == ["学习二十大精神"]
    media = f"{API}/public/promotion/{course}/media/{video['id']}"
    assert await resident.refused("GET", media) == (404, "party.promo_not_found")


async def media_by_range(hub: RunningHub, path: str) -> None:
    async with aiohttp.ClientSession(hub.url) as http:
        whole = await http.get(path)
        assert (whole.status, whole.content_type, await whole.read()) == (200, "video/mp4", MP4)
        assert whole.headers["Accept-Ranges"] == "bytes"
        part = await http.get(path, headers={"Range": "bytes=100-1099"})
        assert (part.status, await part.read()) == (206, MP4[100:1100])
        assert part.headers["Content-Range"] == f"bytes 100-1099/{len(MP4)}"
        tail = await http.get(path, headers={"Range": "bytes=-16"})
        assert (tail.status, await tail.read()) == (206, MP4[-16:])
        open_ended = await http.get(path, headers={"Range": f"bytes={len(MP4) - 3}-"})
        assert await open_ended.read() == MP4[-3:]
        past = await http.get(path, headers={"Range": f"bytes={len(MP4)}-"})
        assert past.status == 416
        assert past.headers["Content-Range"] == f"bytes */{len(MP4)}"
        assert (await past.json())["error"]["code"] == "party.range"


async def reads_once(hub: RunningHub, town: HubClient, article: int, course: int) -> None:
    org = await branch(hub, town)
    await member(hub, town, org, "张秀英", "w01")
    await member(hub, town, org, "李志强", "w02")
    w01 = await hub.sign_in("w01")
    mine = (await w01.json("GET", f"{API}/me/promotion"))["items"]
    assert [(i["id"], i["read"]) for i in mine] == [(course, False), (article, False)]
    read = f"{API}/promotion/{course}/read"
    assert (await w01.json("POST", read))["detail"] is None
    assert (await w01.json("POST", read))["detail"] == "already read"
    mine = (await w01.json("GET", f"{API}/me/promotion"))["items"]
    assert [(i["id"], i["read"]) for i in mine] == [(course, True), (article, False)]
    reading: dict[str, Any] = await town.json("GET", f"{API}/orgs/{org}/reading")
    assert [(i["id"], i["readers"]) for i in reading["items"]] == [(course, 1), (article, 0)]
    assert [(m["name"], m["read"], m["items"]) for m in reading["members"]] == [
        ("张秀英", 1, [course]),
        ("李志强", 0, []),
    ]
    not_member = await hub.sign_in("v05.cmd")
    assert await not_member.refused("POST", read) == (403, "party.not_member")
    assert await not_member.refused("GET", f"{API}/orgs/{org}/reading") == (
        403, "scope.forbidden")  # fmt: skip


async def test_scope_roles_and_bad_input_change_nothing(hub: RunningHub) -> None:
    town, other = await hub.sign_in("town1.cmd"), await hub.sign_in("v05.cmd")
    village = await hub.grid_id(VILLAGE)
    assert await other.refused(
        "POST",
        f"{API}/promotion",
        json={"kind": "article", "title": "越权", "grid_ids": [village]},
    ) == (403, "scope.forbidden")
    bad: list[dict[str, Any]] = [
        {"kind": "article", "title": "无网格", "grid_ids": []},
        {"kind": "video", "title": "类型", "grid_ids": [village]},
        {"kind": "article", "title": "长" * 121, "grid_ids": [village]},
        {"kind": "article", "title": "多余", "grid_ids": [village], "html": "<p>"},
    ]
    for body in bad:
        assert await town.refused("POST", f"{API}/promotion", json=body) == (
            422, "request.invalid")  # fmt: skip
    assert (await town.json("GET", f"{API}/promotion"))["items"] == []
    item = await write(town, hub, "article", "本村", VILLAGE)
    assert await other.refused(
        "POST", f"{API}/promotion/{item}/media", data=upload("a.png", PNG)
    ) == (403, "scope.forbidden")
    assert await other.refused("POST", f"{API}/promotion/{item}/publish") == (
        403, "scope.forbidden")  # fmt: skip
    w01 = await hub.sign_in("w01")  # a grid worker without a party role
    assert await w01.refused("GET", f"{API}/promotion") == (403, "auth.role_required")
    listed = (await town.json("GET", f"{API}/promotion"))["items"]
    assert [(i["id"], i["state"], i["media"]) for i in listed] == [(item, "draft", [])]
