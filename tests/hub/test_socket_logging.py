"""python-socketio's warnings reach the hub's logging: a packet it drops leaves a line (with
logger=False a lost event left nothing to go on)."""

from __future__ import annotations

import asyncio
import logging

from tests.hub.conftest import Client, login
from tests.hub.sockets import WAIT, Peer, connect


class Heard(logging.Handler):
    """Wakes the test when a record arrives (python-socketio logs on the hub's event loop)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []
        self.arrived = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.arrived.set()


async def test_a_dropped_event_is_logged_as_a_warning(client: Client, peers: list[Peer]) -> None:
    heard = Heard()
    logger = logging.getLogger("gridhub.socketio")
    logger.addHandler(heard)
    try:
        peer = await connect(client, await login(client, "w01"))
        peers.append(peer)
        # An event on a namespace this socket never joined: python-socketio drops it.
        await peer.sio.eio.send('2/elsewhere,["presence.activity",{}]')
        await asyncio.wait_for(heard.arrived.wait(), WAIT)
    finally:
        logger.removeHandler(heard)
    assert "not connected to namespace /elsewhere" in heard.records[0].getMessage()
    assert (await peer.call("presence.activity", {}))["ok"] is True  # the socket lives on
