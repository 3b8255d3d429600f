"""三务公开 end to end over HTTP: the village drafts, the town reviews, residents read and ask."""

from __future__ import annotations

import aiohttp

from hub.testing import RunningHub
from tests.plugins.party.conftest import (
    API,
    OTHER_TOWN_VILLAGE,
    VILLAGE,
    audit_actions,
    draft,
    publish,
    xlsx,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def form(name: str, data: bytes) -> aiohttp.FormData:
    body = aiohttp.FormData()
    body.add_field("file", data, filename=name, content_type="application/octet-stream")
    return body


async def test_draft_review_publish_public_page_question_answer(hub: RunningHub) -> None:
    village_id = await hub.grid_id(VILLAGE)
    village = await hub.sign_in("v01.cmd")
    town = await hub.sign_in("town1.cmd")
    resident = hub.anonymous()
    item = await draft(village, village_id)
    sheet = xlsx([["科目", "金额"], ["土地承包费", 12000], ["道路维修", -8000]])
    path = f"{API}/disclosures/{item}/files"
    await village.json("POST", path, data=form("十月账目.xlsx", sheet))
    await village.json("POST", path, data=form("凭证.pdf", PDF))

    # nothing public before the town approves; the village may not approve its own item
    assert await resident.refused("GET", f"{API}/public/disclosures/{item}") == (
        404,
        "party.disclosure_not_found",
    )
    await village.json("POST", f"{API}/disclosures/{item}/submit")
    review = f"{API}/disclosures/{item}/review"
    approve = {"decision": "approve"}
    assert await village.refused("POST", review, json=approve) == (403, "party.not_reviewer")
    queue = await town.json("GET", f"{API}/disclosures", params={"state": "submitted"})
    assert [(i["id"], i["may_review"]) for i in queue["items"]] == [(item, True)]
    assert (await town.json("POST", review, json=approve))["state"] == "published"

    listing = await resident.json(
        "GET", f"{API}/public/disclosures", params={"grid": VILLAGE, "period": "2026-10"}
    )
    assert [(i["id"], i["title"]) for i in listing["items"]] == [(item, "十月财务收支")]
    public = await resident.json("GET", f"{API}/public/disclosures/{item}")
    files = public["versions"][0]["files"]
    assert files[0]["table"] == [["科目", "金额"], ["土地承包费", "12000"], ["道路维修", "-8000"]]
    async with aiohttp.ClientSession(hub.url) as http:  # no account
        pdf = await http.get(f"{API}/public/disclosures/{item}/files/{files[1]['id']}")
        assert (pdf.status, pdf.content_type, await pdf.read()) == (200, "application/pdf", PDF)

    asked = await resident.json(
        "POST", f"{API}/public/disclosures/{item}/questions", json={"text": "道路维修是哪段路？"}
    )
    public = await resident.json("GET", f"{API}/public/disclosures/{item}")
    assert public["questions"] == []  # shown once answered
    staff_view = await village.json("GET", f"{API}/disclosures/{item}")
    assert [q["text"] for q in staff_view["questions"]] == ["道路维修是哪段路？"]
    answer = {"answer": "村东到小学的 300 米。"}
    await village.json("POST", f"{API}/questions/{asked['id']}/answer", json=answer)
    public = await resident.json("GET", f"{API}/public/disclosures/{item}")
    assert [(q["text"], q["answer"]) for q in public["questions"]] == [
        ("道路维修是哪段路？", "村东到小学的 300 米。")
    ]
    assert await audit_actions(hub, item) == [
        "party.disclosure.drafted",
        "party.disclosure.attached",
        "party.disclosure.attached",
        "party.disclosure.submitted",
        "party.disclosure.published",
        "party.question.asked",
        "party.question.answered",
    ]


async def test_a_correction_keeps_the_earlier_version_visible(hub: RunningHub) -> None:
    village = await hub.sign_in("v01.cmd")
    resident = hub.anonymous()
    item = await draft(village, await hub.grid_id(VILLAGE))
    await publish(hub, item)

    # a published version is never edited in place
    edit = {"title": "改过的标题", "body": "改过"}
    assert await village.refused("POST", f"{API}/disclosures/{item}/edit", json=edit) == (
        409,
        "party.version_locked",
    )
    correction = {
        "title": "十月财务收支（更正）",
        "body": "支出更正为 7800 元。",
        "reason": "支出金额录入有误",
    }
    made = await village.json("POST", f"{API}/disclosures/{item}/corrections", json=correction)
    assert made["version"] == 2
    # until the town approves it the public still reads version 1 only
    public = await resident.json("GET", f"{API}/public/disclosures/{item}")
    assert [(v["version"], v["state"]) for v in public["versions"]] == [(1, "published")]
    await publish(hub, item)
    public = await resident.json("GET", f"{API}/public/disclosures/{item}")
    assert [(v["version"], v["state"], v["title"]) for v in public["versions"]] == [
        (2, "published", "十月财务收支（更正）"),
        (1, "superseded", "十月财务收支"),
    ]
    assert public["versions"][0]["correction_reason"] == "支出金额录入有误"
    assert "party.disclosure.corrected" in await audit_actions(hub, item)


async def test_a_returned_item_goes_back_to_the_village(hub: RunningHub) -> None:
    village = await hub.sign_in("v01.cmd")
    town = await hub.sign_in("town1.cmd")
    item = await draft(village, await hub.grid_id(VILLAGE))
    await village.json("POST", f"{API}/disclosures/{item}/submit")
    review = f"{API}/disclosures/{item}/review"
    assert await town.refused("POST", review, json={"decision": "return"}) == (
        422,
        "party.note_required",
    )
    await town.json("POST", review, json={"decision": "return", "note": "请附凭证"})
    detail = await village.json("GET", f"{API}/disclosures/{item}")
    assert (detail["versions"][0]["state"], detail["versions"][0]["review_note"]) == (
        "returned",
        "请附凭证",
    )
    await village.json("POST", f"{API}/disclosures/{item}/edit", json={"title": "已附凭证"})
    # the console's editor sends a file as multipart (the base64 JSON route is gone)
    sheet = xlsx([["凭证号", "金额"], ["001", 500]])
    await village.json("POST", f"{API}/disclosures/{item}/files", data=form("凭证.xlsx", sheet))
    gone = {"name": "凭证.xlsx", "content_base64": "UEsDBA=="}
    assert (
        await village.request("POST", f"{API}/disclosures/{item}/files.json", json=gone)
    ).status == 404
    detail = await village.json("GET", f"{API}/disclosures/{item}")
    assert [f["table"] for f in detail["versions"][0]["files"]] == [
        [["凭证号", "金额"], ["001", "500"]]
    ]
    await village.json("POST", f"{API}/disclosures/{item}/submit")
    assert (await town.json("POST", review, json={"decision": "approve"}))["state"] == "published"


async def test_scope_and_roles(hub: RunningHub) -> None:
    village_id = await hub.grid_id(VILLAGE)
    other = await hub.sign_in("v05.cmd")
    worker = await hub.sign_in("w01")
    body = {"grid_id": village_id, "category": "party", "period": "2026-Q3", "title": "党费"}
    assert await other.refused("POST", f"{API}/disclosures", json=body) == (403, "scope.forbidden")
    assert await worker.refused("POST", f"{API}/disclosures", json=body) == (
        403,
        "auth.role_required",
    )
    village = await hub.sign_in("v01.cmd")
    assert (await village.json("GET", f"{API}/villages"))["items"] == [
        {"id": village_id, "code": VILLAGE, "name": "东庄村"}
    ]
    item = await draft(village, village_id)
    assert await other.refused("GET", f"{API}/disclosures/{item}") == (
        404,
        "party.disclosure_not_found",
    )
    assert (await other.json("GET", f"{API}/disclosures"))["items"] == []
    # a clerk role on the village drafts; a reviewer role on another town may not review it
    await hub.add_person("clerk", [("party_clerk", VILLAGE)])
    await hub.add_person("far.reviewer", [("party_reviewer", "370783-002")])
    clerk = await hub.sign_in("clerk")
    mine = await draft(clerk, village_id, period="2026-09")
    await clerk.json("POST", f"{API}/disclosures/{mine}/submit")
    far = await hub.sign_in("far.reviewer")
    assert await far.refused(
        "POST", f"{API}/disclosures/{mine}/review", json={"decision": "approve"}
    ) == (403, "party.not_reviewer")
    # the town console lists only its own villages' overdue periods
    overdue = await (await hub.sign_in("town1.cmd")).json(
        "GET", f"{API}/overdue", params={"year": 2025}
    )
    towns = {row["grid_name"] for row in overdue["items"]}
    assert "东庄村" in towns
    assert len(towns) == 4
    far_village = await hub.grid_id(OTHER_TOWN_VILLAGE)
    assert not any(row["grid_id"] == far_village for row in overdue["items"])


async def test_bad_input_is_refused_and_changes_nothing(hub: RunningHub) -> None:
    village_id = await hub.grid_id(VILLAGE)
    village = await hub.sign_in("v01.cmd")
    resident = hub.anonymous()
    bad = [
        (
            {"grid_id": village_id, "category": "finance", "period": "2026-13", "title": "x"},
            "request.invalid",
        ),
        (
            {"grid_id": village_id, "category": "finance", "period": "2026-Q3", "title": "x"},
            "party.period_mismatch",
        ),
        (
            {"grid_id": village_id, "category": "gossip", "period": "2026-10", "title": "x"},
            "request.invalid",
        ),
        (
            {
                "grid_id": await hub.grid_id(f"{VILLAGE}-01"),
                "category": "finance",
                "period": "2026-10",
                "title": "x",
            },
            "party.not_village",
        ),
        (
            {"grid_id": village_id, "category": "finance", "period": "2026-10", "title": ""},
            "request.invalid",
        ),
        (
            {
                "grid_id": village_id,
                "category": "finance",
                "period": "2026-10",
                "title": "x",
                "extra": 1,
            },
            "request.invalid",
        ),
    ]
    for body, code in bad:
        assert (await village.refused("POST", f"{API}/disclosures", json=body))[1] == code
    assert (await village.json("GET", f"{API}/disclosures"))["items"] == []

    item = await draft(village, village_id)
    files = f"{API}/disclosures/{item}/files"
    assert await village.refused("POST", files, data=form("x.exe", b"MZ\x90\x00" * 10)) == (
        415,
        "party.file_type",
    )
    assert await village.refused("POST", files, data=form("fake.xlsx", b"PK\x03\x04junk")) == (
        415,
        "party.file_type",
    )
    assert (await village.json("GET", f"{API}/disclosures/{item}"))["versions"][0]["files"] == []
    # questions only on published items, bounded, and rate-limited per address
    ask = f"{API}/public/disclosures/{item}/questions"
    assert await resident.refused("POST", ask, json={"text": "草稿?"}) == (
        404,
        "party.disclosure_not_found",
    )
    await publish(hub, item)
    assert (await resident.refused("POST", ask, json={"text": "x" * 501}))[1] == "request.invalid"
    for n in range(5):
        await resident.json("POST", ask, json={"text": f"问题{n}"})
    assert await resident.refused("POST", ask, json={"text": "第六个"}) == (
        429,
        "party.rate_limited",
    )
    staff_view = await village.json("GET", f"{API}/disclosures/{item}")
    assert len(staff_view["questions"]) == 5
    assert await resident.refused(
        "GET", f"{API}/public/disclosures", params={"grid": "nowhere"}
    ) == (404, "party.village_not_found")
