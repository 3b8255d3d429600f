"""普法 articles: drafted and published by staff of the grid's scope, shown (as plain text) on
the residents' page of the villages under the grid and in the field app of those grids' people;
bad input, other scopes and other roles change nothing."""

from __future__ import annotations

from typing import Any

from hub.testing import HubClient, RunningHub
from tests.plugins.mediation.conftest import API, OTHER_TOWN_VILLAGE, TOWN, VILLAGE

BODY = "<b>劳动合同</b>到期未续签，用人单位应支付二倍工资。\n第二段"


async def draft(client: HubClient, grid_id: int, **fields: Any) -> dict[str, Any]:
    body = {"grid_id": grid_id, "title": "农民工讨薪指南", "body": BODY, **fields}
    made: dict[str, Any] = await client.json("POST", f"{API}/articles", json=body)
    return made


async def public(hub: RunningHub, village: str) -> list[dict[str, Any]]:
    anyone = hub.anonymous()
    got = await anyone.json(
        "GET", f"{API}/public/articles", params={"village_id": await hub.grid_id(village)}
    )
    return list(got["articles"])


async def test_a_town_article_reaches_its_villages_once_published(hub: RunningHub) -> None:
    town = await hub.sign_in("med.town1")
    article = await draft(town, await hub.grid_id(TOWN))
    assert (article["state"], article["author_name"], article["version"]) == ("draft", "李调解", 1)
    assert await public(hub, VILLAGE) == []  # a draft is nobody's reading
    published = await town.json(
        "POST", f"{API}/articles/{article['id']}/publish", json={"version": 1}
    )
    assert (published["state"], published["version"]) == ("published", 2)

    shown = await public(hub, VILLAGE)
    assert [(a["title"], a["body"], a["grid_name"]) for a in shown] == [
        ("农民工讨薪指南", BODY, "洛城街道")
    ]  # stored and answered as typed: the pages show it as text
    assert {"author_name", "version"}.isdisjoint(shown[0])
    assert await public(hub, OTHER_TOWN_VILLAGE) == []  # another town's villages: not targeted
    # the village's people read it in the field app; another town's do not
    feed = (await (await hub.sign_in("med.v01")).json("GET", f"{API}/articles/feed"))["articles"]
    assert [a["id"] for a in feed] == [article["id"]]
    far = await hub.sign_in("med.far")
    assert (await far.json("GET", f"{API}/articles/feed"))["articles"] == []

    # editing a published article needs it withdrawn first; withdrawn, it leaves the page
    refused = await town.refused(
        "POST", f"{API}/articles/{article['id']}", json={"version": 2, "title": "新标题"}
    )
    assert refused == (409, "mediation.article_published")
    await town.json("POST", f"{API}/articles/{article['id']}/withdraw", json={"version": 2})
    assert await public(hub, VILLAGE) == []
    audit = await (await hub.admin()).json(
        "GET", "/api/v1/audit", params={"target_type": "mediation_article"}
    )
    assert {
        "mediation.article.draft",
        "mediation.article.publish",
        "mediation.article.withdraw",
    } <= {e["action"] for e in audit}


async def test_bad_input_scope_and_roles_change_nothing(hub: RunningHub) -> None:
    town_id, village_id = await hub.grid_id(TOWN), await hub.grid_id(VILLAGE)
    mediator = await hub.sign_in("med.v01")
    article = await draft(mediator, village_id)
    for body in (
        {"grid_id": village_id, "title": "", "body": "x"},
        {"grid_id": village_id, "title": "x" * 121, "body": "x"},
        {"grid_id": village_id, "title": "t", "body": "x" * 20001},
        {"grid_id": village_id, "title": "t", "body": "x", "html": True},
    ):
        assert await mediator.refused("POST", f"{API}/articles", json=body) == (
            422,
            "request.invalid",
        )
    # a village mediator writes for their village, not the town above it
    assert await mediator.refused(
        "POST", f"{API}/articles", json={"grid_id": town_id, "title": "t", "body": "b"}
    ) == (403, "scope.forbidden")
    moved = await mediator.refused(
        "POST", f"{API}/articles/{article['id']}", json={"version": 1, "grid_id": town_id}
    )
    assert moved == (403, "scope.forbidden")
    far = await hub.sign_in("med.far")
    assert await far.refused(
        "POST", f"{API}/articles/{article['id']}/publish", json={"version": 1}
    ) == (404, "mediation.article_not_found")
    worker = await hub.sign_in("w01")  # a grid worker reads the feed, writes nothing
    assert await worker.refused(
        "POST", f"{API}/articles", json={"grid_id": village_id, "title": "t", "body": "b"}
    ) == (403, "auth.role_required")
    stale = await mediator.refused(
        "POST", f"{API}/articles/{article['id']}/publish", json={"version": 7}
    )
    assert stale == (409, "mediation.version_conflict")
    anyone = hub.anonymous()
    assert await anyone.refused(
        "GET", f"{API}/public/articles", params={"village_id": town_id}
    ) == (422, "mediation.village_unknown")
    assert await anyone.refused("GET", f"{API}/articles") == (401, "auth.required")

    listed = (await mediator.json("GET", f"{API}/articles"))["articles"]
    assert [(a["id"], a["state"], a["version"], a["grid_id"]) for a in listed] == [
        (article["id"], "draft", 1, village_id)
    ]
    assert await public(hub, VILLAGE) == []
