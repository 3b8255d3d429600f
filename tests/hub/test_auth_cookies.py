"""Refresh tokens in an HttpOnly cookie (CSRF, Origin) and reuse detection of rotated tokens."""

from __future__ import annotations

import asyncio
from http.cookies import SimpleCookie
from typing import Any

import pytest
from sqlalchemy import select

from hub.keys import SESSIONS
from storage.models import AuditEntry
from tests.hub.conftest import Client, StartHub, bearer, error_code, login_pair
from tests.hub.sockets import WAIT, Peer, connect

LOGIN, REFRESH, LOGOUT, ME = (
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/api/v1/auth/logout",
    "/api/v1/auth/me",
)
PROXY = {"trusted_proxies": ["127.0.0.1/32", "::1/128"]}


@pytest.fixture
async def hub(start_hub: StartHub, database_url: str) -> Client:
    return (await start_hub(database_url=database_url)).client


def set_cookies(response: Any) -> dict[str, Any]:
    """The Set-Cookie headers of a response, by cookie name (morsels with their attributes)."""
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.getall("Set-Cookie", []):
        jar.load(header)
    return dict(jar)


async def send(
    client: Client, path: str, cookies: dict[str, str], body: Any = None, **headers: str
) -> Any:
    """POST with exactly these cookies (the client's own jar is emptied first)."""
    client.session.cookie_jar.clear()
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return await client.post(path, json=body, headers={"Cookie": cookie, **headers})


async def cookie_login(client: Client, username: str = "w01", **headers: str) -> Any:
    body = {"username": username, "password": "Demo@2026", "cookie": True}
    response = await client.post(LOGIN, json=body, headers=headers)
    assert response.status == 200, await response.text()
    return response


def pair_of(response: Any) -> dict[str, str]:
    found = set_cookies(response)
    return {
        "gridhub_refresh": found["gridhub_refresh"].value,
        "gridhub_csrf": found["gridhub_csrf"].value,
    }


async def cookie_refresh(client: Client, cookies: dict[str, str], **headers: str) -> Any:
    csrf = {"X-CSRF-Token": cookies["gridhub_csrf"]}
    return await send(client, REFRESH, cookies, {}, **{**csrf, **headers})


async def audit_revocations(client: Client) -> list[AuditEntry]:
    async with client.app[SESSIONS]() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "auth.session_revoke")
        )
        return list(rows)


# --- the cookie contract -----------------------------------------------------------------------


async def test_cookie_login_puts_the_refresh_token_in_an_httponly_cookie(hub: Client) -> None:
    response = await cookie_login(hub)
    body = await response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}  # no refresh_token
    assert (await hub.get(ME, headers=bearer(body["access_token"]))).status == 200
    cookies = set_cookies(response)
    refresh, csrf = cookies["gridhub_refresh"], cookies["gridhub_csrf"]
    assert refresh["httponly"] is True
    assert refresh["samesite"] == "Strict"
    assert refresh["path"] == "/api/v1/auth"
    assert refresh["max-age"] == str(14 * 86_400)
    assert not refresh["secure"]  # plain http here
    assert not csrf["httponly"]  # the page reads it to send it back as a header
    assert (csrf["samesite"], csrf["path"]) == ("Strict", "/")
    assert len(csrf.value) >= 32
    assert refresh.value != csrf.value


async def test_cookie_refresh_needs_the_csrf_header(hub: Client) -> None:
    cookies = pair_of(await cookie_login(hub))
    for headers in ({}, {"X-CSRF-Token": "wrong"}, {"X-CSRF-Token": ""}):
        refused = await send(hub, REFRESH, cookies, {}, **headers)
        assert refused.status == 403, headers
        assert await error_code(refused) == "auth.csrf"
    no_csrf_cookie = {"gridhub_refresh": cookies["gridhub_refresh"]}
    refused = await send(hub, REFRESH, no_csrf_cookie, {}, **{"X-CSRF-Token": ""})
    assert await error_code(refused) == "auth.csrf"

    response = await cookie_refresh(hub, cookies)
    assert response.status == 200, await response.text()
    body = await response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert (await hub.get(ME, headers=bearer(body["access_token"]))).status == 200
    rotated = pair_of(response)
    assert rotated["gridhub_refresh"] != cookies["gridhub_refresh"]
    assert rotated["gridhub_csrf"] != cookies["gridhub_csrf"]
    assert (await cookie_refresh(hub, rotated)).status == 200


async def test_cookie_refresh_from_a_foreign_origin_is_refused(hub: Client) -> None:
    cookies = pair_of(await cookie_login(hub))
    foreign = await cookie_refresh(hub, cookies, Origin="https://evil.example")
    assert foreign.status == 403
    assert await error_code(foreign) == "auth.csrf"
    own = str(hub.make_url("")).rstrip("/")
    assert (await cookie_refresh(hub, cookies, Origin=own)).status == 200
    # A cookie login from a foreign page is refused too.
    body = {"username": "w01", "password": "Demo@2026", "cookie": True}
    login = await hub.post(LOGIN, json=body, headers={"Origin": "https://evil.example"})
    assert await error_code(login) == "auth.csrf"


async def test_cookies_are_secure_behind_a_trusted_https_proxy(start_hub: StartHub) -> None:
    behind = (await start_hub(**PROXY)).client
    secure = set_cookies(await cookie_login(behind, **{"X-Forwarded-Proto": "https"}))
    assert secure["gridhub_refresh"]["secure"] is True
    assert secure["gridhub_csrf"]["secure"] is True
    # Anyone else's X-Forwarded-Proto is not believed.
    direct = (await start_hub()).client
    plain = set_cookies(await cookie_login(direct, **{"X-Forwarded-Proto": "https"}))
    assert not plain["gridhub_refresh"]["secure"]


async def test_cookie_logout_clears_the_cookies_and_ends_the_session(hub: Client) -> None:
    login = await cookie_login(hub)
    access, cookies = (await login.json())["access_token"], pair_of(login)
    assert (await send(hub, LOGOUT, cookies)).status == 403  # no CSRF header
    response = await send(hub, LOGOUT, cookies, **{"X-CSRF-Token": cookies["gridhub_csrf"]})
    assert response.status == 204
    cleared = set_cookies(response)
    assert cleared["gridhub_refresh"].value == ""
    assert cleared["gridhub_refresh"]["max-age"] == "0"
    assert cleared["gridhub_refresh"]["path"] == "/api/v1/auth"
    assert cleared["gridhub_csrf"].value == ""
    assert cleared["gridhub_csrf"]["max-age"] == "0"
    assert await error_code(await hub.get(ME, headers=bearer(access))) == "auth.token_revoked"
    assert await error_code(await cookie_refresh(hub, cookies)) == "auth.refresh_invalid"


async def test_bearer_logout_clears_the_cookies_too(hub: Client) -> None:
    login = await cookie_login(hub)
    access = (await login.json())["access_token"]
    response = await hub.post(LOGOUT, headers=bearer(access))
    assert response.status == 204
    assert set(set_cookies(response)) == {"gridhub_refresh", "gridhub_csrf"}
    assert await error_code(await cookie_refresh(hub, pair_of(login))) == "auth.refresh_invalid"
    hub.session.cookie_jar.clear()
    assert await error_code(await hub.post(LOGOUT)) == "auth.required"


# --- reuse of a rotated refresh token ------------------------------------------------------------


async def test_reuse_of_a_rotated_token_revokes_the_session_and_its_sockets(
    start_hub: StartHub, database_url: str
) -> None:
    client = (await start_hub(database_url=database_url, auth={"refresh_grace_s": 0})).client
    stolen = await login_pair(client, "w01")
    socket = await connect(client, stolen["access_token"])
    try:
        rotated = await client.post(REFRESH, json={"refresh_token": stolen["refresh_token"]})
        legit = await rotated.json()
        replay = await client.post(REFRESH, json={"refresh_token": stolen["refresh_token"]})
        assert replay.status == 401
        assert await error_code(replay) == "auth.refresh_reused"
        # The whole session is gone: the newest token, both access tokens, the open socket.
        newest = await client.post(REFRESH, json={"refresh_token": legit["refresh_token"]})
        assert await error_code(newest) == "auth.refresh_invalid"
        for token in (stolen["access_token"], legit["access_token"]):
            refused = await client.get(ME, headers=bearer(token))
            assert await error_code(refused) == "auth.token_revoked"
        ended = await socket.next("session.ended")
        assert ended["code"] == "auth.token_revoked"
        await asyncio.wait_for(socket.sio.wait(), WAIT)
    finally:
        await _close(socket)
    [entry] = await audit_revocations(client)
    assert entry.actor == "system"
    assert entry.details["reason"] == "refresh_reused"
    assert (entry.details["presented_generation"], entry.details["current_generation"]) == (0, 1)


async def test_grace_covers_only_the_token_just_replaced(hub: Client) -> None:
    first = await login_pair(hub, "w01")
    second = await (await hub.post(REFRESH, json={"refresh_token": first["refresh_token"]})).json()
    third = await (await hub.post(REFRESH, json={"refresh_token": second["refresh_token"]})).json()
    just_replaced = await hub.post(REFRESH, json={"refresh_token": second["refresh_token"]})
    assert await error_code(just_replaced) == "auth.refresh_superseded"
    assert await audit_revocations(hub) == []
    older = await hub.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert await error_code(older) == "auth.refresh_reused"
    gone = await hub.post(REFRESH, json={"refresh_token": third["refresh_token"]})
    assert await error_code(gone) == "auth.refresh_invalid"


async def test_two_tabs_refreshing_at_once_one_wins_the_other_is_superseded(hub: Client) -> None:
    cookies = pair_of(await cookie_login(hub))
    csrf = {"X-CSRF-Token": cookies["gridhub_csrf"], "Cookie": _header(cookies)}
    hub.session.cookie_jar.clear()
    answers = await asyncio.gather(*(hub.post(REFRESH, json={}, headers=csrf) for _ in range(2)))
    statuses = sorted(a.status for a in answers)
    assert statuses == [200, 401]
    loser = next(a for a in answers if a.status == 401)
    assert await error_code(loser) == "auth.refresh_superseded"
    winner = next(a for a in answers if a.status == 200)
    assert "gridhub_refresh" not in set_cookies(loser)  # the loser gets no tokens
    assert (await cookie_refresh(hub, pair_of(winner))).status == 200  # the session lives
    assert await audit_revocations(hub) == []


async def test_forged_or_foreign_refresh_tokens_revoke_nothing(hub: Client) -> None:
    pair = await login_pair(hub, "w01")
    session_id, _, mac = pair["refresh_token"].split(".")
    await hub.post(REFRESH, json={"refresh_token": pair["refresh_token"]})
    for forged in (f"{session_id}.0.{'A' * len(mac)}", f"{session_id}.0", "x" * 43):
        response = await hub.post(REFRESH, json={"refresh_token": forged})
        assert await error_code(response) == "auth.refresh_invalid", forged
    assert await audit_revocations(hub) == []


def _header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


async def _close(peer: Peer) -> None:
    if peer.sio.connected:
        await peer.sio.disconnect()
