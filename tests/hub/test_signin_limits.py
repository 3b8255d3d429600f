"""Sign-in limits: reserved before the Argon2 check, per (username, address), per address and
per account; an attacker cannot lock the owner out. Addresses come from X-Forwarded-For, which
these hubs trust from loopback (`trusted_proxies`)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from hub.identity import Identity
from hub.keys import IDENTITY, SESSIONS
from hub.settings import AuthSettings
from hub.signin_limits import SignInLimits
from storage.models import AuditEntry, AuthThrottle
from tests.clock import FakeClock
from tests.hub.conftest import Client, StartHub, bearer, error_code, login

PROXY = ["127.0.0.1/32", "::1/128"]
ATTACKER, OWNER_HOME, OWNER_NEW = "203.0.113.9", "198.51.100.7", "192.0.2.50"
RIGHT = "Demo@2026"


async def start(start_hub: StartHub, database_url: str | None = None, **auth: Any) -> Client:
    hub = await start_hub(database_url=database_url, auth=auth, trusted_proxies=PROXY)
    return hub.client


def identity(client: Client) -> Identity:
    return client.app[IDENTITY]


async def sign_in(client: Client, username: str, password: str, address: str) -> Any:
    body = {"username": username, "password": password}
    return await client.post("/api/v1/auth/login", json=body, headers={"X-Forwarded-For": address})


async def codes(responses: list[Any]) -> list[str]:
    return sorted([await error_code(r) for r in responses])


# --- the reservation comes before the password check -----------------------------------------


async def test_concurrent_guesses_are_verified_at_most_threshold_times(
    start_hub: StartHub, database_url: str
) -> None:
    client = await start(start_hub, database_url)
    before = identity(client).passwords.verifications
    guesses = [sign_in(client, "w01", f"guess-{i}", ATTACKER) for i in range(30)]
    answers = await asyncio.gather(*guesses)
    assert identity(client).passwords.verifications - before == 5  # lockout_threshold
    assert await codes(answers) == ["auth.invalid_credentials"] * 5 + ["auth.locked"] * 25
    locked = await sign_in(client, "w01", RIGHT, ATTACKER)
    assert await error_code(locked) == "auth.locked"
    assert 1 <= (await locked.json())["error"]["details"]["retry_after_s"] <= 31
    # The owner, from anywhere else, is not locked out.
    assert (await sign_in(client, "w01", RIGHT, OWNER_NEW)).status == 200


async def test_password_change_checks_the_current_password_under_the_same_limits(
    start_hub: StartHub, database_url: str
) -> None:
    client = await start(start_hub, database_url)
    stolen = await sign_in(client, "w01", RIGHT, ATTACKER)
    token = (await stolen.json())["access_token"]
    me = await (await client.get("/api/v1/auth/me", headers=bearer(token))).json()
    url = f"/api/v1/people/{me['person_id']}/password"
    headers = {**bearer(token), "X-Forwarded-For": ATTACKER}
    before = identity(client).passwords.verifications
    tries = [
        client.post(url, json={"password": "Taken-over-1", "current_password": f"g{i}"},
                    headers=headers)
        for i in range(30)
    ]  # fmt: skip
    answers = await asyncio.gather(*tries)
    assert identity(client).passwords.verifications - before == 5
    assert await codes(answers) == ["auth.invalid_credentials"] * 5 + ["auth.locked"] * 25
    right = {"password": "Taken-over-1", "current_password": RIGHT}
    assert await error_code(await client.post(url, json=right, headers=headers)) == "auth.locked"
    assert (await sign_in(client, "w01", RIGHT, OWNER_HOME)).status == 200  # unchanged


# --- per address, per account ------------------------------------------------------------------


async def test_unknown_usernames_count_more_against_their_address(start_hub: StartHub) -> None:
    client = await start(start_hub, address_threshold=6, unknown_username_cost=3)
    for name in ("ghost-1", "ghost-2"):
        assert await error_code(await sign_in(client, name, "x", ATTACKER)) == (
            "auth.invalid_credentials"
        )
    # Two unknown names used up the address: even a right password from it waits ...
    assert await error_code(await sign_in(client, "w02", RIGHT, ATTACKER)) == "auth.locked"
    # ... while known names cost one each, and other addresses are untouched.
    for name in ("w03", "w04", "w05", "w06", "w07"):
        assert (await sign_in(client, name, "wrong", OWNER_NEW)).status == 401
    assert (await sign_in(client, "w02", RIGHT, OWNER_NEW)).status == 200


async def test_a_spread_out_attack_stops_at_the_account_limit_but_not_the_owner(
    start_hub: StartHub, database_url: str
) -> None:
    client = await start(start_hub, database_url, account_threshold=4)
    assert (await sign_in(client, "w01", RIGHT, OWNER_HOME)).status == 200  # a familiar address
    for i in range(4):
        assert (await sign_in(client, "w01", "guess", f"203.0.113.{i + 10}")).status == 401
    before = identity(client).passwords.verifications
    refused = await sign_in(client, "w01", "guess", "203.0.113.99")
    assert await error_code(refused) == "auth.locked"
    assert identity(client).passwords.verifications == before  # refused without a check
    # The owner still signs in from an address they used before ...
    assert (await sign_in(client, "w01", RIGHT, OWNER_HOME)).status == 200
    # ... not from a new one, until they (signed in) or an admin lift the account limit.
    assert await error_code(await sign_in(client, "w01", RIGHT, OWNER_NEW)) == "auth.locked"
    home = await sign_in(client, "w01", RIGHT, OWNER_HOME)
    token = (await home.json())["access_token"]
    assert (await client.post("/api/v1/auth/unlock", json={}, headers=bearer(token))).status == 204
    assert (await sign_in(client, "w01", RIGHT, OWNER_NEW)).status == 200


async def test_a_locked_pair_locks_only_that_address(start_hub: StartHub) -> None:
    client = await start(start_hub, lockout_threshold=2)
    for _ in range(2):
        assert (await sign_in(client, "w01", "wrong", ATTACKER)).status == 401
    assert await error_code(await sign_in(client, "w01", RIGHT, ATTACKER)) == "auth.locked"
    assert await login(client, "w01")  # the test client's own (peer) address


async def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(
    start_hub: StartHub,
) -> None:
    client = (await start_hub(auth={"lockout_threshold": 2})).client  # no trusted proxies
    for i in range(2):
        assert (await sign_in(client, "w01", "wrong", f"203.0.113.{i}")).status == 401
    spoofed = await sign_in(client, "w01", RIGHT, "198.51.100.200")
    assert await error_code(spoofed) == "auth.locked"


# --- unlocking -----------------------------------------------------------------------------------


async def test_only_the_owner_or_an_admin_can_lift_limits(start_hub: StartHub) -> None:
    client = await start(start_hub, lockout_threshold=1)
    assert (await sign_in(client, "w01", "wrong", ATTACKER)).status == 401
    assert await error_code(await sign_in(client, "w01", RIGHT, ATTACKER)) == "auth.locked"
    other = await login(client, "w02")
    for body in ({"username": "w01"}, {"address": ATTACKER}):
        response = await client.post("/api/v1/auth/unlock", json=body, headers=bearer(other))
        assert await error_code(response) == "auth.admin_required", body
    assert await error_code(await sign_in(client, "w01", RIGHT, ATTACKER)) == "auth.locked"
    admin = await login(client, "admin")
    body = {"username": "w01"}
    assert (
        await client.post("/api/v1/auth/unlock", json=body, headers=bearer(admin))
    ).status == 204
    assert (await sign_in(client, "w01", RIGHT, ATTACKER)).status == 200
    async with client.app[SESSIONS]() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "auth.unlock"))
    assert entry is not None
    assert (entry.actor, entry.details["username"], entry.details["buckets"]) == ("admin", "w01", 2)


# --- purging -------------------------------------------------------------------------------------


async def rows(client: Client) -> int:
    async with client.app[SESSIONS]() as session:
        return int(await session.scalar(select(func.count()).select_from(AuthThrottle)) or 0)


async def test_ended_windows_are_purged(start_hub: StartHub) -> None:
    client = (await start_hub()).client
    settings = AuthSettings(lockout_threshold=1, throttle_sweep_s=60)
    clock = FakeClock(1_000_000.0)
    limits = SignInLimits(client.app[SESSIONS], settings, clock)
    await limits.reserve(limits.buckets("ghost", ATTACKER, known=False, familiar=False))
    locked = limits.buckets("w01", OWNER_HOME, known=True, familiar=True)
    await limits.reserve(locked)  # threshold 1: this pair is now locked for 30 s
    assert await rows(client) == 5  # pair, address, account for ghost; pair, address for w01
    idle = 2 * max(settings.lockout_window_s, settings.account_window_s, settings.lockout_max_s)
    clock.now += idle + 1
    assert await limits.purge() == 5  # the hub's periodic sweep calls this (Identity.sweep)
    await limits.reserve(limits.buckets("w02", OWNER_NEW, known=True, familiar=True))
    assert await rows(client) == 2  # only the new attempt's buckets are left
    # A lock that has not ended is kept however old its window is.
    await limits.reserve(locked)
    async with client.app[SESSIONS].begin() as session:
        pair = await session.get(AuthThrottle, ("pair", f"w01|{OWNER_HOME}"))
        address = await session.get(AuthThrottle, ("address", OWNER_HOME))
        assert pair is not None
        assert address is not None
        pair.window_start, pair.locked_until = clock.now - idle - 10, clock.now + 900
        address.window_start = clock.now - idle - 10
    assert await limits.purge() == 1
    assert await rows(client) == 3


# --- what a refused sign-in says -------------------------------------------------------------


async def test_a_wrong_password_says_how_many_tries_remain(start_hub: StartHub) -> None:
    client = await start(start_hub)
    remaining = []
    for name in ("w01", "ghost"):  # an unknown name counts down the same way: nothing to learn
        for _ in range(5):  # lockout_threshold
            refused = (await (await sign_in(client, name, "wrong", ATTACKER)).json())["error"]
            assert refused["code"] == "auth.invalid_credentials"
            remaining.append(refused["details"]["remaining"])
    assert remaining == [4, 3, 2, 1, 0] * 2
    assert await error_code(await sign_in(client, "w01", RIGHT, ATTACKER)) == "auth.locked"
    # A success starts the count again.
    assert (await sign_in(client, "w02", RIGHT, ATTACKER)).status == 200
    again = await (await sign_in(client, "w02", "wrong", ATTACKER)).json()
    assert again["error"]["details"]["remaining"] == 4


async def test_first_sign_ins_racing_from_one_address_all_get_in(
    start_hub: StartHub, database_url: str
) -> None:
    """Sixteen people sign in at once from an address none has used: they race to create the
    address's counter row, and every one of them must still get in."""
    client = await start(start_hub, database_url)
    people = [f"w{n:02d}" for n in range(1, 17)]
    answers = await asyncio.gather(*(sign_in(client, p, RIGHT, OWNER_NEW) for p in people))
    refused = [a for a in answers if a.status != 200]
    assert not refused, await codes(refused)
