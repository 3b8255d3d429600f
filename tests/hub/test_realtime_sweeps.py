"""The real-time core's periodic jobs (presence sweep, token expiry) outlive a failing run: the
failure is logged with the job's name and the next run still does the work."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import jwt
import pytest

from hub.keys import PRESENCE, REALTIME
from tests.hub.conftest import StartHub, login
from tests.hub.sockets import WAIT, Peer, connect, joined


class FailsOnce:
    """Stands in for an async method: the first call raises (a store or a manager that is
    briefly unreachable), later calls go through."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.failed = asyncio.Event()

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self.failed.is_set():
            self.failed.set()
            raise ConnectionError("briefly unreachable")
        return await self.real(*args, **kwargs)


def failures(caplog: pytest.LogCaptureFixture, job: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "gridhub.periodic" and getattr(r, "job", None) == job and r.exc_info
    ]


async def test_presence_sweep_goes_on_after_a_failing_run(
    start_hub: StartHub, peers: list[Peer], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="gridhub.periodic")
    hub = await start_hub(realtime={"away_after_s": 0.3, "sweep_interval_s": 0.05})
    store = hub.client.app[PRESENCE]
    mark_idle = FailsOnce(store.mark_idle)
    store.mark_idle = mark_idle  # type: ignore[method-assign]
    cmd = await joined(hub.client, peers, "v01.cmd")
    await joined(hub.client, peers, "w01")
    # Only a sweep after the failed one can turn the idle worker away.
    await cmd.next("presence.changed", lambda d: d["username"] == "w01" and d["state"] == "away")
    assert mark_idle.failed.is_set()
    assert failures(caplog, "presence-sweep")


async def test_token_expiry_goes_on_after_a_failing_run(
    start_hub: StartHub, peers: list[Peer], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="gridhub.periodic")
    secret = "s" * 48
    hub = await start_hub(auth={"secret_key": secret})
    sio = hub.client.app[REALTIME].sio
    disconnect = FailsOnce(sio.disconnect)
    sio.disconnect = disconnect  # the first expiry run fails half-way
    claims = jwt.decode(await login(hub.client, "w01"), secret, algorithms=["HS256"])
    short = jwt.encode({**claims, "exp": int(time.time()) + 1}, secret, algorithm="HS256")
    worker = await connect(hub.client, short)
    peers.append(worker)
    await asyncio.wait_for(worker.sio.wait(), 3 * WAIT)  # closed by a later run
    assert disconnect.failed.is_set()
    assert failures(caplog, "token-expiry")
