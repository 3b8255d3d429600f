"""The client's address in the audit log and on sockets: X-Forwarded-For counts only from a
trusted proxy. The test client always connects from loopback, so one hub trusts loopback (it
plays the proxy) and the other trusts nobody (the client reaches it directly)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hub.keys import REALTIME, SESSIONS
from storage.models import AuditEntry
from tests.hub.conftest import Client, StartHub, bearer, login
from tests.hub.sockets import Peer

FORGED = "203.0.113.7"
LOOPBACK = {"trusted_proxies": ["127.0.0.1/32", "::1/128"]}


async def audited_address(client: Client) -> str | None:
    """Rename w01 as the admin, claiming to come from FORGED; the address the audit kept."""
    token = await login(client, "admin")
    headers = {**bearer(token), "X-Forwarded-For": FORGED}
    people = await (
        await client.get("/api/v1/people?grid=370783-001-001-01", headers=headers)
    ).json()
    [w01] = [p for p in people if p["username"] == "w01"]
    body = {"display_name": "徐桂兰（改）"}
    response = await client.patch(f"/api/v1/people/{w01['id']}", json=body, headers=headers)
    assert response.status == 200, await response.text()
    async with client.app[SESSIONS]() as session:
        row = await session.scalar(
            select(AuditEntry)
            .where(AuditEntry.action == "person.update")
            .order_by(AuditEntry.id.desc())
        )
    assert row is not None
    return row.source_ip


async def socket_address(client: Client, peers: list[Any]) -> str | None:
    """Connect w01's socket claiming to come from FORGED; the address the hub kept for it."""
    peer = Peer()
    peers.append(peer)
    url, auth = str(client.make_url("/")), {"token": await login(client, "w01")}
    await peer.sio.connect(
        url, auth=auth, headers={"X-Forwarded-For": FORGED}, transports=["websocket"]
    )
    [conn] = client.app[REALTIME].connections.values()
    return conn.address


async def test_a_forged_forwarded_for_from_an_untrusted_peer_is_not_recorded(
    start_hub: StartHub, peers: list[Any]
) -> None:
    client = (await start_hub()).client
    assert await audited_address(client) == "127.0.0.1"
    assert await socket_address(client, peers) == "127.0.0.1"


async def test_behind_a_trusted_proxy_the_forwarded_client_is_recorded(
    start_hub: StartHub, peers: list[Any]
) -> None:
    client = (await start_hub(**LOOPBACK)).client
    assert await audited_address(client) == FORGED
    assert await socket_address(client, peers) == FORGED
