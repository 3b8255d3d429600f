"""A person's grants read while an admin takes their roles away: the hub must not keep the read
(made before the change) as the person's grants from then on."""

from __future__ import annotations

import asyncio
from typing import Any

from hub.keys import IDENTITY
from tests.hub.conftest import Client, bearer, login, person_id
from tests.hub.sockets import WAIT, Peer, joined


class HeldRead:
    """Wraps Identity._read_grants: the first read is made, then held until `release`."""

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


async def test_roles_taken_while_grants_are_read_are_gone_afterwards(
    client: Client, peers: list[Peer], admin_token: str
) -> None:
    w01 = await person_id(client.app, "w01")
    token = await login(client, "w01")
    identity = client.app[IDENTITY]
    identity.forget_person(w01)  # nothing cached: the next request of w01 reads the grants
    held = HeldRead(identity._read_grants)
    identity._read_grants = held
    request = asyncio.create_task(client.get("/api/v1/grids", headers=bearer(token)))
    await asyncio.wait_for(held.read.wait(), WAIT)  # read while w01 is still a grid worker
    taken = await client.patch(
        f"/api/v1/people/{w01}", json={"roles": []}, headers=bearer(admin_token)
    )
    assert taken.status == 200, await taken.text()
    held.release.set()
    await asyncio.wait_for(request, WAIT)  # answered either way: it overlapped the change
    worker = await joined(client, peers, "w01")
    refused = await worker.call("presence.who", {})  # a staff event: w01 is staff no more
    assert refused["ok"] is False
    assert refused["error"]["code"] == "auth.role_required"
