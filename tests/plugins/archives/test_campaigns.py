"""Campaigns over real HTTP and sockets: a town officer defines a form with an alert rule,
targets and a deadline; workers see and fill only their target households; progress per grid
reaches the town console; a temperature of 38.2 raises the alarm and opens an incident; bad
answers and out-of-scope fills are refused with nothing changed."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.testing import HubClient, RunningHub
from hub.testing.fixtures import StartGridHub
from tests.plugins.archives.conftest import API, BASIC, OTHER_BASIC, VILLAGE

CAMPAIGNS = f"{API}/campaigns"
TOWN = "370783-001"
OTHER_VILLAGE = "370783-001-002"


async def add_household(hub: RunningHub, grid_id: int, number: str, house_id: int) -> int:
    """A household as the archive's import writes it (the archive has no household route).
    The hub shares this process: its bus handlers finish first (a version per new house), and
    the write runs in a thread so the hub's loop is never blocked behind it."""
    await hub.settle()
    return await asyncio.to_thread(_insert_household, hub, grid_id, number, house_id)


def _insert_household(hub: RunningHub, grid_id: int, number: str, house_id: int) -> int:
    with sqlite3.connect(hub.data_dir / "gridhub.db", timeout=30) as db:
        cursor = db.execute(
            "INSERT INTO archives_households (grid_id, number, kind, house_id, created_at) "
            "VALUES (?, ?, 'family', ?, ?)",
            (grid_id, number, house_id, datetime.now(UTC).isoformat()),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid


async def add_house(officer: HubClient, grid_id: int, code: str, house_type: str) -> int:
    made = await officer.json(
        "POST",
        f"{API}/houses",
        json={
            "grid_id": grid_id,
            "code": code,
            "address_text": f"{code} 号",
            "house_type": house_type,
        },
    )
    return int(made["id"])


def fever_check(village: int, other_village: int, **over: Any) -> dict[str, Any]:
    return {
        "title": "冬季发热排查",
        "grid_id": over.pop("grid_id", None),
        "fields": [
            {
                "name": "temperature",
                "label_zh": "体温",
                "label_en": "Temperature",
                "type": "number",
                "required": True,
                "minimum": 34,
                "maximum": 43,
                "alert": {"op": ">=", "value": 37.3, "action": "incident", "category": "other"},
            },
            {"name": "cough", "label_zh": "咳嗽", "label_en": "Cough", "type": "boolean"},
        ],
        "targets": {"grid_ids": [village, other_village], "house_types": ["bungalow"]},
        "deadline": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
        **over,
    }


async def households(client: HubClient, campaign_id: int) -> list[str]:
    found = await client.json("GET", f"{CAMPAIGNS}/{campaign_id}/households")
    return [h["number"] for h in found["items"]]


async def test_a_campaign_from_definition_to_a_fever_warning(start_gridhub: StartGridHub) -> None:
    hub = await start_gridhub(["archives", "dispatch"], demo=True)
    await hub.add_person("arch.officer", [("archives_officer", "370783")], display_name="档案员")
    officer, town = await hub.sign_in("arch.officer"), await hub.sign_in("town1.cmd")
    w01, w08 = await hub.sign_in("w01"), await hub.sign_in("w08")
    basic, other = await hub.grid_id(BASIC), await hub.grid_id(OTHER_BASIC)
    await add_household(hub, basic, "HH-001", await add_house(officer, basic, "H-1", "bungalow"))
    await add_household(hub, basic, "HH-002", await add_house(officer, basic, "H-2", "building"))
    await add_household(hub, other, "HH-003", await add_house(officer, other, "H-3", "bungalow"))
    village, other_village = await hub.grid_id(VILLAGE), await hub.grid_id(OTHER_VILLAGE)
    body = fever_check(village, other_village, grid_id=await hub.grid_id(TOWN))
    campaign = await town.json("POST", CAMPAIGNS, json=body)
    cid = campaign["id"]

    # Each worker sees the target households of their own grids (bungalows only).
    assert await households(w01, cid) == ["HH-001"]
    assert await households(w08, cid) == ["HH-003"]
    progress = (await town.json("GET", f"{CAMPAIGNS}/{cid}/progress"))["grids"]
    assert [(g["grid_id"], g["total"], g["filled"]) for g in progress] == [
        (basic, 1, 0),
        (other, 1, 0),
    ]

    console = await hub.socket("town1.cmd")
    [h1] = (await w01.json("GET", f"{CAMPAIGNS}/{cid}/households"))["items"]
    filled = await w01.json(
        "POST",
        f"{CAMPAIGNS}/{cid}/entries",
        json={"household_id": h1["household_id"], "values": {"temperature": 36.5, "cough": False}},
    )
    assert filled["breaches"] == []
    pushed = await console.next("archives.campaign_progress", lambda d: d["campaign_id"] == cid)
    assert [(g["grid_id"], g["filled"]) for g in pushed["grids"]] == [(basic, 1)]

    [h3] = (await w08.json("GET", f"{CAMPAIGNS}/{cid}/households"))["items"]
    fever = await w08.json(
        "POST",
        f"{CAMPAIGNS}/{cid}/entries",
        json={"household_id": h3["household_id"], "values": {"temperature": 38.2, "cough": True}},
    )
    assert fever["breaches"] == ["temperature"]
    alarm = await console.next("archives.campaign_breach", lambda d: d["campaign_id"] == cid)
    assert (alarm["field"], alarm["rule"], alarm["grid_id"]) == ("temperature", ">= 37.3", other)
    await hub.settle()
    cmd = await hub.sign_in("county.cmd")
    opened = await cmd.json("GET", "/api/v1/dispatch/incidents", params={"q": "冬季发热排查"})
    [incident] = opened["items"]
    assert (incident["grid_id"], incident["priority"]) == (other, "high")
    progress = (await town.json("GET", f"{CAMPAIGNS}/{cid}/progress"))["grids"]
    assert [(g["total"], g["filled"]) for g in progress] == [(1, 1), (1, 1)]
    # The health answers are sealed at rest.
    with sqlite3.connect(hub.data_dir / "gridhub.db") as db:
        stored = [r[0] for r in db.execute('SELECT "values" FROM archives_campaign_entries')]
    assert all(v.startswith("pd1:") and "38.2" not in v for v in stored)

    # Closed: no more answers.
    await town.json("POST", f"{CAMPAIGNS}/{cid}/close")
    assert await w01.refused(
        "POST",
        f"{CAMPAIGNS}/{cid}/entries",
        json={"household_id": h1["household_id"], "values": {"temperature": 36.6}},
    ) == (409, "archives.campaign_closed")


async def test_bad_campaigns_and_answers_change_nothing(start_gridhub: StartGridHub) -> None:
    hub = await start_gridhub(["archives"], demo=True)
    await hub.add_person("arch.officer", [("archives_officer", "370783")], display_name="档案员")
    officer, town = await hub.sign_in("arch.officer"), await hub.sign_in("town1.cmd")
    w01 = await hub.sign_in("w01")
    basic, other = await hub.grid_id(BASIC), await hub.grid_id(OTHER_BASIC)
    h1 = await add_household(
        hub, basic, "HH-001", await add_house(officer, basic, "H-1", "bungalow")
    )
    h2 = await add_household(
        hub, basic, "HH-002", await add_house(officer, basic, "H-2", "building")
    )
    h3 = await add_household(
        hub, other, "HH-003", await add_house(officer, other, "H-3", "bungalow")
    )
    village, other_village = await hub.grid_id(VILLAGE), await hub.grid_id(OTHER_VILLAGE)
    good = fever_check(village, other_village, grid_id=await hub.grid_id(TOWN))
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert await w01.refused("POST", CAMPAIGNS, json=good) == (403, "auth.role_required")
    refusals = [
        ({**good, "grid_id": await hub.grid_id("370783-002")}, 403, "archives.out_of_scope"),
        (
            {**good, "targets": {"grid_ids": [await hub.grid_id("370783-002")]}},
            422,
            "archives.campaign_target",
        ),
        ({**good, "deadline": past}, 422, "archives.campaign_deadline"),
        ({**good, "fields": []}, 422, "request.invalid"),
        ({**good, "fields": good["fields"] * 2}, 422, "request.invalid"),  # names twice
        (
            {**good, "fields": [{**good["fields"][1], "alert": {"op": ">", "value": 1}}]},
            422,
            "request.invalid",
        ),  # a boolean compared with >
    ]
    for body, status, code in refusals:
        assert await town.refused("POST", CAMPAIGNS, json=body) == (status, code), body
    assert (await town.json("GET", CAMPAIGNS))["items"] == []
    cid = (await town.json("POST", CAMPAIGNS, json=good))["id"]
    entries = f"{CAMPAIGNS}/{cid}/entries"
    answers = [
        ({"household_id": h3, "values": {"temperature": 36.5}}, 403, "archives.out_of_scope"),
        (
            {"household_id": h2, "values": {"temperature": 36.5}},
            422,
            "archives.campaign_not_target",
        ),
        (
            {"household_id": h1, "values": {"temperature": "hot"}},
            422,
            "archives.campaign_field_invalid",
        ),
        (
            {"household_id": h1, "values": {"temperature": 50}},
            422,
            "archives.campaign_field_invalid",
        ),
        ({"household_id": h1, "values": {"cough": True}}, 422, "archives.campaign_field_required"),
        (
            {"household_id": h1, "values": {"temperature": 36.5, "x": 1}},
            422,
            "archives.campaign_unknown_field",
        ),
        (
            {"household_id": 999999, "values": {"temperature": 36.5}},
            404,
            "archives.household_not_found",
        ),
    ]
    for body, status, code in answers:
        assert await w01.refused("POST", entries, json=body) == (status, code), body
    progress = (await town.json("GET", f"{CAMPAIGNS}/{cid}/progress"))["grids"]
    assert [g["filled"] for g in progress] == [0, 0]
