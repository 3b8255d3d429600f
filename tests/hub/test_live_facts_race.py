"""A person's facts (name, grids) read for presence while an admin moves them to another grid:
the read made before the move must not be what the hub keeps."""

from __future__ import annotations

import asyncio
from typing import Any

from hub.keys import BUS, GRIDS, LIVE
from tests.hub.conftest import Client, bearer, login, person_id
from tests.hub.sockets import WAIT, Peer, connect, joined

ELSEWHERE = "370783-001-002-01"  # a basic grid of another village than w01's


class HeldRead:
    """Wraps People._read: the first read is made, then held until `release`."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.read = asyncio.Event()
        self.release = asyncio.Event()
        self.calls = 0

    async def __call__(self, person: int) -> Any:
        self.calls += 1
        found = await self.real(person)
        if self.calls == 1:
            self.read.set()
            await self.release.wait()
        return found


async def test_a_worker_moved_while_their_facts_are_read_is_shown_in_the_new_grid(
    client: Client, peers: list[Peer], admin_token: str
) -> None:
    county = await joined(client, peers, "county.cmd")
    w01 = await person_id(client.app, "w01")
    people = client.app[LIVE].people
    people.forget(w01)  # nothing cached: w01's connect reads their facts
    held = HeldRead(people._read)
    people._read = held
    token = await login(client, "w01")
    connecting = asyncio.create_task(connect(client, token))  # presence fan-out reads facts
    await asyncio.wait_for(held.read.wait(), WAIT)  # read while w01 is in 东庄村
    roles = [{"role": "grid_worker", "grid": ELSEWHERE}]
    moved = await client.patch(
        f"/api/v1/people/{w01}", json={"roles": roles}, headers=bearer(admin_token)
    )
    assert moved.status == 200, await moved.text()
    await client.app[BUS].flush()  # PersonChanged handled: the facts were forgotten
    held.release.set()
    peers.append(await asyncio.wait_for(connecting, WAIT))
    rows = (await county.call("presence.who", {}))["people"]
    [row] = [r for r in rows if r["person_id"] == w01]
    assert row["grids"] == [client.app[GRIDS].index.by_code(ELSEWHERE).id]
