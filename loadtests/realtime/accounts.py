"""Sign the bench accounts in over HTTP: one access token and person id per account."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp

from loadtests.realtime.servers import BENCH_PASSWORD


@dataclass(frozen=True, slots=True)
class Account:
    username: str
    person_id: int
    token: str


async def login(http: aiohttp.ClientSession, base: str, username: str, password: str) -> Account:
    body = {"username": username, "password": password}
    async with http.post(f"{base}/api/v1/auth/login", json=body) as resp:
        if resp.status != 200:
            raise RuntimeError(f"login {username}: HTTP {resp.status} {await resp.text()}")
        token = str((await resp.json())["access_token"])
    headers = {"Authorization": f"Bearer {token}"}
    async with http.get(f"{base}/api/v1/auth/me", headers=headers) as resp:
        resp.raise_for_status()
        person_id = int((await resp.json())["person_id"])
    return Account(username, person_id, token)


async def login_bench(base: str, count: int, parallel: int = 16) -> list[Account]:
    """Accounts bench0001..bench<count>, signed in ``parallel`` at a time."""
    gate = asyncio.Semaphore(parallel)

    async def one(http: aiohttp.ClientSession, index: int) -> Account:
        async with gate:
            return await login(http, base, f"bench{index:04d}", BENCH_PASSWORD)

    async with aiohttp.ClientSession() as http:
        return list(await asyncio.gather(*(one(http, i) for i in range(1, count + 1))))
