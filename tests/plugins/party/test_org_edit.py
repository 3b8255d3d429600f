"""Changing the organisation tree and members over HTTP: rename, move (never below itself or
under a lower kind), remove only when empty; a member's status, transfer and account link;
another town's staff refused and bad input changing nothing."""

from __future__ import annotations

from hub.testing import HubClient, RunningHub
from tests.plugins.party.conftest import API
from tests.plugins.party.test_building import PARTY_GRID, branch, member


async def orgs(town: HubClient) -> dict[int, tuple[str, int | None]]:
    items = (await town.json("GET", f"{API}/orgs"))["items"]
    return {o["id"]: (o["name"], o["parent_id"]) for o in items}


async def test_rename_move_and_remove_an_organisation(hub: RunningHub) -> None:
    town = await hub.sign_in("town1.cmd")
    org = await branch(hub, town)
    committee = (await orgs(town))[org][1]
    assert committee is not None
    general = await town.json(
        "POST",
        f"{API}/orgs",
        json={"name": "东庄村党总支", "kind": "general_branch", "parent_id": committee,
              "grid_id": await hub.grid_id(PARTY_GRID)},
    )  # fmt: skip
    await town.json(
        "POST",
        f"{API}/orgs/{org}/edit",
        json={"name": "东庄村第一党支部", "parent_id": general["id"]},
    )
    assert (await orgs(town))[org] == ("东庄村第一党支部", general["id"])
    edit = f"{API}/orgs/{general['id']}/edit"
    assert await town.refused("POST", edit, json={"parent_id": org}) == (422, "party.org_parent")
    up = {"parent_id": general["id"]}
    assert await town.refused("POST", f"{API}/orgs/{committee}/edit", json=up) == (
        422, "party.org_parent")  # fmt: skip
    assert await town.refused("POST", edit, json={"name": ""}) == (422, "request.invalid")
    other = await hub.sign_in("v05.cmd")
    assert await other.refused("POST", edit, json={"name": "越权"}) == (403, "scope.forbidden")
    assert await town.refused("POST", f"{API}/orgs/{general['id']}/delete") == (
        409, "party.org_not_empty")  # fmt: skip
    await town.json("POST", f"{API}/orgs/{org}/edit", json={"parent_id": committee})
    await town.json("POST", f"{API}/orgs/{general['id']}/delete")
    assert general["id"] not in await orgs(town)
    assert (await orgs(town))[org] == ("东庄村第一党支部", committee)


async def test_status_transfer_and_account_link(hub: RunningHub) -> None:
    town = await hub.sign_in("town1.cmd")
    org = await branch(hub, town)
    second = await town.json(
        "POST",
        f"{API}/orgs",
        json={
            "name": "东庄村第二党支部",
            "kind": "branch",
            "grid_id": await hub.grid_id(PARTY_GRID),
        },
    )
    one = await member(hub, town, org, "张秀英")
    two = await member(hub, town, org, "李志强", "w02")
    edit = f"{API}/members/{one}/edit"
    w01 = await hub.person_id("w01")
    await town.json("POST", edit, json={"status": "probationary", "person_id": w01})
    assert (await (await hub.sign_in("w01")).json("GET", f"{API}/me"))["name"] == "张秀英"
    taken = {"person_id": await hub.person_id("w02")}
    assert await town.refused("POST", edit, json=taken) == (409, "party.member_exists")
    assert await town.refused("POST", edit, json={"status": "expelled"}) == (422, "request.invalid")
    await town.json("POST", edit, json={"org_id": second["id"]})
    rows = (await town.json("GET", f"{API}/orgs/{second['id']}/members"))["items"]
    assert [(m["name"], m["status"], m["person_id"]) for m in rows] == [
        ("张秀英", "probationary", w01)
    ]
    await town.json("POST", edit, json={"person_id": None})
    assert await (await hub.sign_in("w01")).json("GET", f"{API}/me") == {"member": False}
    other = await hub.sign_in("v05.cmd")
    inactive = {"status": "inactive"}
    assert await other.refused("POST", f"{API}/members/{two}/edit", json=inactive) == (
        403, "scope.forbidden")  # fmt: skip
    assert await town.refused("POST", f"{API}/orgs/{org}/delete") == (409, "party.org_not_empty")


async def test_a_members_name_and_join_date_are_corrected_and_audited(hub: RunningHub) -> None:
    town = await hub.sign_in("town1.cmd")
    org = await branch(hub, town)
    one = await member(hub, town, org, "张秀瑛")
    edit = f"{API}/members/{one}/edit"
    await town.json("POST", edit, json={"name": "张秀英", "join_date": "1999-07-01"})
    rows = (await town.json("GET", f"{API}/orgs/{org}/members"))["items"]
    assert [(m["name"], m["join_date"]) for m in rows] == [("张秀英", "1999-07-01")]
    for body in (
        {"name": ""},
        {"name": "张" * 41},
        {"join_date": "1900-01-01"},  # before the party's founding
        {"join_date": "2999-01-01"},  # in the future
        {"join_date": "not a day"},
    ):
        assert await town.refused("POST", edit, json=body) == (422, "request.invalid")
    other = await hub.sign_in("v05.cmd")
    assert (await other.refused("POST", edit, json={"name": "王五"}))[0] == 403
    rows = (await town.json("GET", f"{API}/orgs/{org}/members"))["items"]
    assert [(m["name"], m["join_date"]) for m in rows] == [("张秀英", "1999-07-01")]  # unchanged
    admin = await hub.admin()
    audit = await admin.json(
        "GET", "/api/v1/audit", params={"target_type": "party_member", "target_id": one}
    )
    edited = [row for row in audit if row["action"] == "party.member.edited"]
    assert [(row["details"]["before"], row["details"]["after"]) for row in edited] == [
        (
            {"name": "张秀瑛", "join_date": "2001-07-01"},
            {"name": "张秀英", "join_date": "1999-07-01"},
        )
    ]
