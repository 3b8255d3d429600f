"""党建宣传 edits over HTTP: a draft's text and targets changed (a new version each time, the
earlier kept); a published item changed only with a reason, its earlier version shown to
residents and the change audited; a stale or concurrent edit refused; a medium removed while
unpublished; scope, roles and bad input change nothing."""

from __future__ import annotations

import asyncio

from hub.testing import RunningHub
from tests.plugins.party.conftest import API, OTHER_TOWN_VILLAGE, VILLAGE
from tests.plugins.party.test_building import PNG, upload
from tests.plugins.party.test_promotion import NEIGHBOUR, TOWN, titles, write


async def test_a_draft_and_a_published_item_are_edited_with_their_history(
    hub: RunningHub,
) -> None:
    town = await hub.sign_in("town1.cmd")
    item = await write(town, hub, "article", "学习二十大精神", VILLAGE)
    path = f"{API}/promotion/{item}"
    first = {"version": 1, "title": "学习党的二十大精神", "grid_ids": [await hub.grid_id(TOWN)]}
    assert (await town.json("POST", f"{path}/edit", json=first))["version"] == 2
    await town.json("POST", f"{path}/publish")
    resident = hub.anonymous()
    assert await titles(resident, grid=NEIGHBOUR) == ["学习党的二十大精神"]  # now town-wide
    fix = {"version": 2, "body": "第一部分（修订）"}
    assert await town.refused("POST", f"{path}/edit", json=fix) == (422, "party.reason_required")
    fix["reason"] = "原文有错别字"
    assert (await town.json("POST", f"{path}/edit", json=fix))["version"] == 3
    assert await town.refused("POST", f"{path}/edit", json=fix) == (409, "party.promo_stale")
    shown = await resident.json("GET", f"{API}/public/promotion/{item}")
    assert (shown["body"], shown["version"]) == ("第一部分（修订）", 3)
    # residents see the published version it replaced and why; the draft's text stays internal
    assert [(h["version"], h["title"], h["reason"]) for h in shown["history"]] == [
        (2, "学习党的二十大精神", "原文有错别字")
    ]
    staff = await town.json("GET", path)
    assert [h["version"] for h in staff["history"]] == [2, 1]
    assert staff["history"][1]["title"] == "学习二十大精神"
    assert staff["grid_ids"] == [await hub.grid_id(TOWN)]
    admin = await hub.admin()
    audit = await admin.json(
        "GET", "/api/v1/audit", params={"target_type": "party_promo", "target_id": item}
    )
    edited = [r["details"] for r in reversed(audit) if r["action"] == "party.promo.edited"]
    assert [(d["version"], d["state"], d["reason"]) for d in edited] == [
        (2, "draft", ""),
        (3, "published", "原文有错别字"),
    ]
    assert edited[1]["before"]["body"] == "<b>学习</b>\n第二段"


async def test_concurrent_edits_of_one_version_one_wins(hub: RunningHub) -> None:
    town = await hub.sign_in("town1.cmd")
    item = await write(town, hub, "course", "东庄村党课", VILLAGE)
    edits = [{"version": 1, "title": f"党课第{n}讲"} for n in range(8)]
    answers = await asyncio.gather(
        *(town.request("POST", f"{API}/promotion/{item}/edit", json=e) for e in edits)
    )
    assert sorted(a.status for a in answers) == [200] + [409] * 7
    assert (await town.json("GET", f"{API}/promotion/{item}"))["version"] == 2


async def test_a_medium_is_removed_only_while_unpublished(hub: RunningHub) -> None:
    town = await hub.sign_in("town1.cmd")
    item = await write(town, hub, "article", "会场照片", VILLAGE)
    media = await town.json("POST", f"{API}/promotion/{item}/media", data=upload("会场.png", PNG))
    remove = f"{API}/promotion/{item}/media/{media['id']}/remove"
    await town.json("POST", f"{API}/promotion/{item}/publish")
    assert await town.refused("POST", remove) == (409, "party.promo_state")
    await town.json("POST", f"{API}/promotion/{item}/withdraw")
    other = await hub.sign_in("v05.cmd")
    assert await other.refused("POST", remove) == (403, "scope.forbidden")
    await town.json("POST", remove)
    assert (await town.json("GET", f"{API}/promotion/{item}"))["media"] == []
    assert await town.refused("POST", remove) == (404, "party.media_not_found")


async def test_scope_roles_and_bad_input_change_nothing(hub: RunningHub) -> None:
    town = await hub.sign_in("town1.cmd")
    item = await write(town, hub, "article", "学习二十大精神", VILLAGE)
    edit = f"{API}/promotion/{item}/edit"
    far = [await hub.grid_id(OTHER_TOWN_VILLAGE)]
    assert await town.refused("POST", edit, json={"version": 1, "grid_ids": far}) == (
        403, "scope.forbidden")  # fmt: skip
    for body in (
        {"version": 1},  # nothing to change
        {"title": "x"},  # no version
        {"version": 0, "title": "x"},
        {"version": 1, "title": ""},
        {"version": 1, "title": "x" * 121},
        {"version": 1, "grid_ids": []},
        {"version": 1, "grid_ids": [0]},
        {"version": 1, "title": "x", "reason": "r" * 201},
        {"version": 1, "title": "x", "kind": "course"},
    ):
        assert (await town.refused("POST", edit, json=body))[0] == 422
    assert await town.refused("POST", edit, json={"version": 1, "grid_ids": [99999]}) == (
        404, "grid.not_found")  # fmt: skip
    for name in ("v05.cmd", "w01"):
        client = await hub.sign_in(name)
        assert (await client.refused("POST", edit, json={"version": 1, "title": "x"}))[0] == 403
        assert (await client.refused("GET", f"{API}/promotion/{item}"))[0] == 403
    assert await town.refused("POST", f"{API}/promotion/99999/edit", json={
        "version": 1, "title": "x"}) == (404, "party.promo_not_found")  # fmt: skip
    detail = await town.json("GET", f"{API}/promotion/{item}")
    assert (detail["title"], detail["version"], detail["history"]) == ("学习二十大精神", 1, [])


async def test_its_editors_preview_a_drafts_media_residents_do_not(hub: RunningHub) -> None:
    town = await hub.sign_in("town1.cmd")
    item = await write(town, hub, "article", "草稿配图", VILLAGE)
    media = await town.json("POST", f"{API}/promotion/{item}/media", data=upload("会场.png", PNG))
    preview = f"{API}/promotion/{item}/media/{media['id']}"
    answer = await town.get(preview)
    assert answer.status == 200
    assert await answer.read() == PNG
    assert answer.headers["Content-Type"] == "image/png"
    assert answer.headers["Cache-Control"] == "private, no-store"
    part = await town.get(preview, headers={"Range": "bytes=0-3"})
    assert part.status == 206
    assert await part.read() == PNG[:4]
    public = f"{API}/public/promotion/{item}/media/{media['id']}"
    assert await hub.anonymous().refused("GET", public) == (404, "party.promo_not_found")
    assert await (await hub.sign_in("v05.cmd")).refused("GET", preview) == (
        403, "scope.forbidden")  # fmt: skip
    assert await (await hub.sign_in("w01")).refused("GET", preview) == (403, "auth.role_required")
    assert await town.refused("GET", f"{API}/promotion/{item}/media/999999") == (
        404, "party.media_not_found")  # fmt: skip
