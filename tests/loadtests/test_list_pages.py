"""The load tool reads paged list replies to the end: `channel.list` answers at most 500 channels
and says `more`; `channels_of` asks again from the last id until it has them all."""

from __future__ import annotations

import aiohttp

from hub.chat import PAGE_MAX
from hub.keys import CHANNELS
from loadtests.context import channels_of
from loadtests.realtime.lean import LeanSocket
from loadtests.recorder import Recorder
from tests.hub.conftest import StartHub, bearer, login

CONNECT_S = 10.0


async def test_channels_of_reads_every_page(start_hub: StartHub) -> None:
    hub = await start_hub()
    client, store = hub.client, hub.client.app[CHANNELS]
    token = await login(client, "w01")
    me = (await (await client.get("/api/v1/auth/me", headers=bearer(token))).json())["person_id"]
    for n in range(PAGE_MAX + 3):
        await store.create_adhoc(f"专班{n}", me)
    expected = [info.id for info, _ in await store.memberships_of(me, limit=10 * PAGE_MAX)]
    assert len(expected) > PAGE_MAX

    recorder = Recorder()
    async with aiohttp.ClientSession() as http:
        sock = LeanSocket(http, str(client.make_url("")).rstrip("/"))
        await sock.connect({"token": token}, CONNECT_S)
        try:
            channels = await channels_of(recorder, sock)
        finally:
            await sock.close()
    assert channels is not None
    assert [c["id"] for c in channels] == expected
    assert not recorder.errors
