"""Socket.IO test clients for hubs started by the `start_hub`/`client` fixtures: the testing
kit's client (hub.testing.SocketClient) on an aiohttp test client's hub."""

from __future__ import annotations

from hub.testing import SocketClient
from hub.testing.clients import WAIT_S as WAIT  # noqa: F401  (re-exported to the tests)
from tests.hub.conftest import Client, login

Peer = SocketClient  # a real python-socketio client that queues every server event it receives


async def connect(client: Client, token: str | None) -> Peer:
    peer = Peer()
    await peer.connect(str(client.make_url("/")), token)
    return peer


async def joined(client: Client, peers: list[Peer], username: str) -> Peer:
    """Sign `username` in and connect a socket, remembered in `peers` for clean-up."""
    peer = await connect(client, await login(client, username))
    peers.append(peer)
    return peer
