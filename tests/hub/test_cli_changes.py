"""People changed with the `gridhub` CLI (a real subprocess, no bus) while a hub serves the
same database: the running hub picks the change up (hub/outside_changes.py), and its sockets,
grant caches and grid channel members follow as they do for a change made over HTTP."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from hub.keys import BUS, CHANNELS, GRIDS, SESSIONS
from hub.outside_changes import note_people_changed, take_note
from tests.hub.conftest import Client, Hub, StartHub, bearer, login, person_id
from tests.hub.processes import ok
from tests.hub.sockets import Peer, connect

VILLAGE = "370783-001-001"  # 东庄村: v01.cmd commands it
OTHER_VILLAGE = "370783-001-002"  # 王家村


async def cli(hub: Hub, *args: str | Path) -> str:
    settings = hub.settings
    place = ("--data-dir", settings.data_dir, "--database-url", settings.effective_database_url)
    return await ok(*args, *place)


async def people_import(hub: Hub, tmp_path: Path, *people: dict[str, Any]) -> None:
    file = tmp_path / "people.json"
    file.write_text(json.dumps(list(people), ensure_ascii=False), encoding="utf-8")
    await cli(hub, "people", "import", file)


def commander(grid: str, **other: Any) -> dict[str, Any]:
    roles = [{"role": "commander", "grid": grid}]
    return {"username": "v01.cmd", "display_name": "东庄村指挥", "roles": roles, **other}


async def roles_seen(client: Client, token: str) -> list[tuple[str, int | None]]:
    me = await (await client.get("/api/v1/auth/me", headers=bearer(token))).json()
    return [(r["role"], r["grid_id"]) for r in me["roles"]]


async def test_a_running_hub_follows_people_changed_by_the_cli(
    start_hub: StartHub, peers: list[Peer], tmp_path: Path
) -> None:
    hub = await start_hub(realtime={"outside_changes_s": 0.05})
    client, index = hub.client, hub.client.app[GRIDS].index
    token = await login(client, "v01.cmd")
    socket = await connect(client, token)
    peers.append(socket)
    village, other = index.by_code(VILLAGE).id, index.by_code(OTHER_VILLAGE).id
    assert await roles_seen(client, token) == [("commander", village)]

    worker = ("--role", f"grid_worker@{VILLAGE}-01", "--password", "w99-password")
    await cli(hub, "user", "add", "w99", *worker)
    await people_import(hub, tmp_path, commander(OTHER_VILLAGE))
    changed = await socket.next("auth.grants_changed")
    assert changed["grants"] == [{"role": "commander", "grid_id": other}]
    assert await roles_seen(client, token) == [("commander", other)]  # no stale cache
    await client.app[BUS].flush()  # the grid channels' member sync has run too
    _, members = (await client.app[CHANNELS].grid_memberships())[index.by_code(f"{VILLAGE}-01").id]
    assert await person_id(client.app, "w99") in members

    await people_import(hub, tmp_path, commander(OTHER_VILLAGE, active=False))
    ended = await socket.next("session.ended")
    assert ended["code"] == "auth.person_inactive"
    me = await client.get("/api/v1/auth/me", headers=bearer(token))
    assert me.status == 401


async def test_one_node_takes_each_note(start_hub: StartHub) -> None:
    """Nodes polling together publish a note's PersonChanged once; a later note is taken too."""
    hub = await start_hub(realtime={"outside_changes_s": 3600})
    sessions = hub.client.app[SESSIONS]
    assert await take_note(sessions) is False  # nothing noted
    await note_people_changed(sessions)
    await note_people_changed(sessions)  # two CLI runs before anyone looked: one note
    takers = await asyncio.gather(*(take_note(sessions) for _ in range(5)))
    assert sorted(takers) == [False] * 4 + [True]
    await note_people_changed(sessions)
    assert await take_note(sessions) is True
