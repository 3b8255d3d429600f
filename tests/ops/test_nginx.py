"""The shipped nginx configuration (deploy/nginx/gridhub.conf) in front of three real nodes:
client addresses, TLS, origins, uploads. One site serves every test of this module."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
import socketio

from hub.api.auth import REFRESH_COOKIE
from hub.demo_data import DEMO_PASSWORD
from tests.ops.frontdoor import CLIENT, Site, login, open_site, rows

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.asyncio(loop_scope="module"),
]

FORGED = "203.0.113.9"
WAIT = 15.0
VILLAGE = "东庄村"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(
    postgres_server: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Site]:
    async with open_site(postgres_server, tmp_path_factory.mktemp("site")) as opened:
        yield opened


async def session_address(site: Site, user_agent: str) -> str:
    found = await rows(
        site, "SELECT source_ip FROM login_sessions WHERE user_agent = :ua", ua=user_agent
    )
    assert len(found) == 1, found
    return str(found[0][0])


# --- client addresses, TLS, origins, uploads ---------------------------------------------------


async def test_the_hub_sees_the_client_address_nginx_vouches_for_and_no_forged_one(
    site: Site,
) -> None:
    await login(site, "w01", **{"User-Agent": "through-nginx"})
    forged = {"X-Forwarded-For": FORGED}
    await login(site, "w02", **forged, **{"User-Agent": "forged-through-nginx"})
    direct = site.nodes["a"].url  # straight to a node, from an address it does not trust
    await login(site, "w03", direct, **forged, **{"User-Agent": "forged-direct"})
    for agent in ("through-nginx", "forged-through-nginx", "forged-direct"):
        assert await session_address(site, agent) == CLIENT, agent


async def test_plain_http_is_sent_to_https(site: Site) -> None:
    async with site.http.get(site.door.http_url + "/healthz", allow_redirects=False) as response:
        assert response.status == 301
        assert response.headers["Location"] == site.door.https_url.rsplit(":", 1)[0] + "/healthz"


async def test_a_browser_origin_is_the_site_not_the_node(site: Site) -> None:
    """X-Forwarded-Host reaches the node: a page of the site (its host and port, which the
    node's own Host header lacks) may open a socket; a page of another port may not."""
    token = await login(site, "w01")
    own = site.door.https_url
    foreign = own.rsplit(":", 1)[0] + f":{site.nodes['a'].port}"
    sio = socketio.AsyncClient(reconnection=False, http_session=site.http)
    await sio.connect(own, auth={"token": token}, headers={"Origin": own},
                      transports=["websocket"], wait_timeout=WAIT)  # fmt: skip
    await sio.disconnect()
    refused = socketio.AsyncClient(reconnection=False, http_session=site.http)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await refused.connect(own, auth={"token": token}, headers={"Origin": foreign},
                              transports=["websocket"], wait_timeout=WAIT)  # fmt: skip


async def test_behind_tls_a_browser_sign_in_gets_secure_cookies(site: Site) -> None:
    """X-Forwarded-Proto reaches the node: the page's https origin passes its CSRF check and
    the refresh cookie is Secure, though nginx speaks plain http to the node."""
    own = site.door.https_url
    body = {"username": "w04", "password": DEMO_PASSWORD, "cookie": True}
    async with site.http.post(
        own + "/api/v1/auth/login", json=body, headers={"Origin": own}
    ) as response:
        assert response.status == 200, await response.text()
        assert response.cookies[REFRESH_COOKIE]["secure"]


async def test_a_large_upload_streams_through_to_a_node(site: Site) -> None:
    """12 MiB: above nginx's default 1 MiB and the hub's 8 MiB body limit for forms."""
    token = await login(site, "w01")
    channel_id = await village_channel(site)
    blob = b"%PDF-1.4\n" + os.urandom(12 * 1024 * 1024)
    form = aiohttp.FormData()
    form.add_field("file", blob, filename="台账.pdf", content_type="application/pdf")
    async with site.http.post(
        f"{site.door.https_url}/api/v1/channels/{channel_id}/files",
        data=form,
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        reply = await response.json()
        assert response.status == 201, reply
    assert reply["size"] == len(blob)
    audited = await rows(
        site, "SELECT source_ip FROM audit_log WHERE action = 'file.upload' AND target_id = :id",
        id=reply["file_id"],
    )  # fmt: skip
    assert [r[0] for r in audited] == [CLIENT]


async def village_channel(site: Site) -> int:
    found = await rows(site, "SELECT id FROM channels WHERE name = :name", name=VILLAGE)
    return int(found[0][0])
