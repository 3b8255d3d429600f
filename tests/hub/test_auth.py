"""Login, lockout, access tokens, refresh rotation and revocation, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import jwt
import pytest
from sqlalchemy import select

from hub.keys import IDENTITY, SESSIONS
from storage.models import LoginSession, Setting
from storage.sql import utcnow
from tests.hub.conftest import (
    Client,
    StartHub,
    bearer,
    error_code,
    login,
    login_pair,
)


@pytest.fixture
async def hub(start_hub: StartHub, database_url: str) -> Client:
    """The demo county on the parametrised backend (SQLite file or fresh PostgreSQL database)."""
    return (await start_hub(database_url=database_url)).client


async def me(client: Client, token: str) -> dict[str, Any]:
    response = await client.get("/api/v1/auth/me", headers=bearer(token))
    body: dict[str, Any] = await response.json()
    assert response.status == 200, body
    return body


async def attempt(client: Client, username: str, password: str) -> Any:
    return await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )


async def person_id(client: Client, admin: str, username: str) -> int:
    response = await client.get("/api/v1/people", headers=bearer(admin))
    assert response.status == 200
    matches = [p["id"] for p in await response.json() if p["username"] == username]
    assert len(matches) == 1, username
    found: int = matches[0]
    return found


async def signing_key(client: Client) -> str:
    async with client.app[SESSIONS]() as session:
        key = await session.scalar(select(Setting.value).where(Setting.key == "auth.signing_key"))
    assert isinstance(key, str)
    assert key
    return key


# --- login ------------------------------------------------------------------------------------


async def test_login_returns_exactly_the_token_shape(hub: Client) -> None:
    response = await attempt(hub, "town1.cmd", "Demo@2026")
    assert response.status == 200
    body = await response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    assert body["access_token"] != body["refresh_token"]
    who = await me(hub, body["access_token"])
    assert who["username"] == "town1.cmd"
    assert who["is_admin"] is False
    assert [(r["role"], r["grid"]) for r in who["roles"]] == [("commander", "370783-001")]


async def test_wrong_password_and_unknown_user_look_the_same(hub: Client) -> None:
    wrong = await attempt(hub, "town1.cmd", "not-the-password")
    unknown = await attempt(hub, "nobody.here", "Demo@2026")
    assert (wrong.status, unknown.status) == (401, 401)
    wrong_body, unknown_body = await wrong.json(), await unknown.json()
    assert wrong_body["error"]["code"] == "auth.invalid_credentials"
    assert wrong_body == unknown_body


async def test_lockout_after_threshold_refuses_even_the_right_password(
    start_hub: StartHub, database_url: str
) -> None:
    client = (await start_hub(database_url=database_url, auth={"lockout_threshold": 3})).client
    for _ in range(3):
        response = await attempt(client, "w01", "wrong-password")
        assert await error_code(response) == "auth.invalid_credentials"
    locked = await attempt(client, "w01", "Demo@2026")
    assert locked.status == 429
    error = (await locked.json())["error"]
    assert error["code"] == "auth.locked"
    assert 1 <= error["details"]["retry_after_s"] <= 31  # lockout_base_s=30, plus rounding
    # Only that username is locked.
    assert await login(client, "w02")


async def test_successful_login_resets_the_failure_count(
    start_hub: StartHub, database_url: str
) -> None:
    client = (await start_hub(database_url=database_url, auth={"lockout_threshold": 3})).client
    for _ in range(2):
        assert (await attempt(client, "w01", "wrong-password")).status == 401
    assert await login(client, "w01")
    for _ in range(2):
        assert (await attempt(client, "w01", "wrong-password")).status == 401
    # Two failures after the reset: still below the threshold of three.
    assert await login(client, "w01")


async def test_unknown_usernames_are_locked_out_too(start_hub: StartHub, database_url: str) -> None:
    client = (await start_hub(database_url=database_url, auth={"lockout_threshold": 2})).client
    for _ in range(2):
        assert (await attempt(client, "ghost", "whatever-1")).status == 401
    response = await attempt(client, "ghost", "whatever-1")
    assert response.status == 429
    assert await error_code(response) == "auth.locked"


# --- access tokens ----------------------------------------------------------------------------


async def test_missing_or_malformed_authorization_header(hub: Client) -> None:
    for headers in ({}, {"Authorization": "Basic dXNlcjpwdw=="}, {"Authorization": "Bearer"}):
        response = await hub.get("/api/v1/auth/me", headers=headers)
        assert response.status == 401, headers
        assert await error_code(response) == "auth.required"


async def test_expired_token_is_refused(hub: Client) -> None:
    token = await login(hub, "w01")
    claims = jwt.decode(token, options={"verify_signature": False})
    now = int(time.time())
    expired = jwt.encode(
        {**claims, "iat": now - 120, "exp": now - 60}, await signing_key(hub), algorithm="HS256"
    )
    response = await hub.get("/api/v1/auth/me", headers=bearer(expired))
    assert response.status == 401
    assert await error_code(response) == "auth.token_expired"
    # The same claims with a future expiry and the same key are accepted: the key is the real one.
    fresh = jwt.encode({**claims, "exp": now + 60}, await signing_key(hub), algorithm="HS256")
    assert (await me(hub, fresh))["username"] == "w01"


async def test_tampered_or_foreign_tokens_are_invalid(hub: Client) -> None:
    token = await login(hub, "w01")
    header, payload, signature = token.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    claims = jwt.decode(token, options={"verify_signature": False})
    foreign = jwt.encode(claims, "some-other-key-" * 4, algorithm="HS256")
    other = jwt.encode({**claims, "typ": "refresh"}, await signing_key(hub), algorithm="HS256")
    for bad in (f"{header}.{payload}.{flipped}", foreign, other, "not-a-jwt"):
        response = await hub.get("/api/v1/auth/me", headers=bearer(bad))
        assert response.status == 401
        assert await error_code(response) == "auth.token_invalid"


async def test_configured_secret_key_signs_tokens(start_hub: StartHub, database_url: str) -> None:
    secret = "a-configured-secret-key-that-is-long-enough"
    client = (await start_hub(database_url=database_url, auth={"secret_key": secret})).client
    token = await login(client, "w01")
    claims = jwt.decode(token, secret, algorithms=["HS256"])
    assert claims["usr"] == "w01"
    assert claims["typ"] == "access"


# --- refresh, logout, revocation ----------------------------------------------------------------


async def test_refresh_rotates_and_refuses_the_old_refresh_token(hub: Client) -> None:
    first = await login_pair(hub, "w01")
    response = await hub.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert response.status == 200
    second = await response.json()
    assert set(second) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert (await me(hub, second["access_token"]))["username"] == "w01"

    # The token just replaced, within the grace window (10 s): refused, gets nothing, and the
    # session lives on (two tabs refreshing at once). Reuse outside it: test_auth_cookies.py.
    again = await hub.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert again.status == 401
    assert await error_code(again) == "auth.refresh_superseded"

    third = await hub.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert third.status == 200


async def test_unknown_refresh_token_is_refused(hub: Client) -> None:
    response = await hub.post("/api/v1/auth/refresh", json={"refresh_token": "x" * 43})
    assert response.status == 401
    assert await error_code(response) == "auth.refresh_invalid"


async def test_logout_revokes_this_session_only(hub: Client) -> None:
    pair = await login_pair(hub, "w01")
    other = await login(hub, "w01")
    response = await hub.post("/api/v1/auth/logout", headers=bearer(pair["access_token"]))
    assert response.status == 204

    refused = await hub.get("/api/v1/auth/me", headers=bearer(pair["access_token"]))
    assert refused.status == 401
    assert await error_code(refused) == "auth.token_revoked"
    refresh = await hub.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refresh.status == 401
    assert await error_code(refresh) == "auth.refresh_invalid"
    assert (await me(hub, other))["username"] == "w01"


async def test_disabling_a_person_revokes_sessions_and_refuses_login(hub: Client) -> None:
    admin = await login(hub, "admin")
    pair = await login_pair(hub, "w01")
    target = await person_id(hub, admin, "w01")

    response = await hub.post(f"/api/v1/people/{target}/disable", headers=bearer(admin))
    assert response.status == 204
    refused = await hub.get("/api/v1/auth/me", headers=bearer(pair["access_token"]))
    assert refused.status == 401
    assert await error_code(refused) == "auth.token_revoked"
    refresh = await hub.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refresh.status == 401
    refused_login = await attempt(hub, "w01", "Demo@2026")
    assert refused_login.status == 401
    assert await error_code(refused_login) == "auth.invalid_credentials"

    assert (await hub.post(f"/api/v1/people/{target}/enable", headers=bearer(admin))).status == 204
    assert await login(hub, "w01")


async def test_changing_own_password_needs_the_current_one(hub: Client) -> None:
    pair = await login_pair(hub, "w01")
    token = pair["access_token"]
    own = (await me(hub, token))["person_id"]
    url = f"/api/v1/people/{own}/password"

    for body in (
        {"password": "New-pass-123"},
        {"password": "New-pass-123", "current_password": "x"},
    ):
        response = await hub.post(url, json=body, headers=bearer(token))
        assert response.status == 401, body
        assert await error_code(response) == "auth.invalid_credentials"
    assert await login(hub, "w01")  # unchanged so far

    body = {"password": "New-pass-123", "current_password": "Demo@2026"}
    assert (await hub.post(url, json=body, headers=bearer(token))).status == 204
    assert (await attempt(hub, "w01", "Demo@2026")).status == 401
    assert await login(hub, "w01", "New-pass-123")
    # Changing the password signs the old sessions out.
    refused = await hub.get("/api/v1/auth/me", headers=bearer(token))
    assert await error_code(refused) == "auth.token_revoked"


async def test_admin_password_reset_revokes_sessions(hub: Client) -> None:
    admin = await login(hub, "admin")
    victim = await login(hub, "w02")
    target = await person_id(hub, admin, "w02")
    url = f"/api/v1/people/{target}/password"

    # Another non-admin cannot reset it.
    other = await login(hub, "w01")
    forbidden = await hub.post(url, json={"password": "Reset-pass-1"}, headers=bearer(other))
    assert forbidden.status == 403
    assert await error_code(forbidden) == "auth.admin_required"

    response = await hub.post(url, json={"password": "Reset-pass-1"}, headers=bearer(admin))
    assert response.status == 204
    refused = await hub.get("/api/v1/auth/me", headers=bearer(victim))
    assert await error_code(refused) == "auth.token_revoked"
    assert (await attempt(hub, "w02", "Demo@2026")).status == 401
    assert await login(hub, "w02", "Reset-pass-1")
    assert (await me(hub, admin))["username"] == "admin"  # the admin's own session survives


async def test_revoke_sessions_endpoint(hub: Client) -> None:
    admin = await login(hub, "admin")
    first, second = await login(hub, "w03"), await login(hub, "w03")
    target = await person_id(hub, admin, "w03")
    url = f"/api/v1/people/{target}/revoke-sessions"
    assert (await hub.post(url, headers=bearer(first))).status == 403
    assert (await hub.post(url, headers=bearer(admin))).status == 204
    for token in (first, second):
        response = await hub.get("/api/v1/auth/me", headers=bearer(token))
        assert await error_code(response) == "auth.token_revoked"
    assert await login(hub, "w03")  # signing out is not disabling


# --- housekeeping -----------------------------------------------------------------------------


async def sessions_of_w01(client: Client, count: int) -> list[str]:
    """Sign w01 in `count` times; the session ids."""
    pairs = [await login_pair(client, "w01") for _ in range(count)]
    claims = [jwt.decode(p["access_token"], options={"verify_signature": False}) for p in pairs]
    return [str(c["sid"]) for c in claims]


async def surviving(client: Client, ids: list[str]) -> list[str]:
    async with client.app[SESSIONS]() as session:
        rows = await session.scalars(select(LoginSession.id).where(LoginSession.id.in_(ids)))
        return sorted(rows, key=ids.index)


async def test_ended_sessions_are_purged_once_nothing_needs_them(hub: Client) -> None:
    ids = await sessions_of_w01(hub, 5)
    now, day, minute = utcnow(), timedelta(days=1), timedelta(minutes=1)
    # (created, expires, revoked): access tokens live 15 min, addresses stay familiar 30 days.
    ages = {
        ids[0]: (now - 40 * day, now - 26 * day, None),  # expired long ago: purged
        ids[1]: (now - 31 * day, now + day, now - 20 * minute),  # revoked 20 min ago: purged
        ids[2]: (now - 20 * day, now - 6 * day, None),  # expired, address still familiar: kept
        ids[3]: (now - 31 * day, now + day, now - 5 * minute),  # its tokens may live: kept
        ids[4]: (now - 31 * day, now + day, None),  # still going (a long refresh_ttl_s): kept
    }
    async with hub.app[SESSIONS].begin() as session:
        for row in await session.scalars(select(LoginSession).where(LoginSession.id.in_(ids))):
            row.created_at, row.expires_at, row.revoked_at = ages[row.id]
    await hub.app[IDENTITY].sweep()
    assert await surviving(hub, ids) == ids[2:]


async def test_every_node_sweeps_the_sign_in_tables(
    start_hub: StartHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = (await start_hub(auth={"throttle_sweep_s": 0.05})).client
    identity, purged = client.app[IDENTITY], asyncio.Event()
    purge = identity.purge_sessions

    async def observed() -> int:  # the periodic sweep's own call, watched
        removed = await purge()
        if removed:
            purged.set()
        return removed

    monkeypatch.setattr(identity, "purge_sessions", observed)
    [stale] = await sessions_of_w01(client, 1)
    long_ago = utcnow() - timedelta(days=40)
    async with client.app[SESSIONS].begin() as session:
        row = await session.get(LoginSession, stale)
        assert row is not None
        row.created_at, row.expires_at = long_ago, long_ago + timedelta(days=14)
    await asyncio.wait_for(purged.wait(), 5)  # nobody calls it but the hub's periodic job
    assert await surviving(client, [stale]) == []
