"""Accounts and devices for a run, made through the hub's admin API, idempotently.

Load accounts are ``<prefix>-w0001`` (field workers), ``<prefix>-c0001`` (callers, in pairs
on one grid so they may call each other) and ``<prefix>-f0001`` (fan-out members, all on one
grid), spread round robin over the basic grids of the target's tree. Only the missing ones are
imported (``POST /api/v1/people/import``). Devices ``<prefix>-d00001`` are registered with
``POST /api/v1/devices``; a device that exists already gets a new key (``rotate-key``), since
keys are shown only once.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from loadtests.scenario import Scenario

TIMEOUT = aiohttp.ClientTimeout(total=120)
IMPORT_CHUNK = 500


class ProvisionError(RuntimeError):
    """The target refused to set up what the scenario needs (the message says why)."""


@dataclass(frozen=True)
class Grid:
    id: int
    code: str
    lon: float
    lat: float


@dataclass(frozen=True)
class Member:
    """A load account: who it is, where it works."""

    username: str
    grid: str
    person_id: int = 0


@dataclass
class Directory:
    """What the client processes need to know about the target's county."""

    grids: list[Grid] = field(default_factory=list)
    workers: list[Member] = field(default_factory=list)
    callers: list[Member] = field(default_factory=list)
    groups: list[Member] = field(default_factory=list)
    fanout: list[Member] = field(default_factory=list)
    devices: list[tuple[str, str, str]] = field(default_factory=list)  # code, key, grid

    def to_json(self) -> dict[str, Any]:
        return {
            "grids": [[g.id, g.code, g.lon, g.lat] for g in self.grids],
            "workers": [[m.username, m.grid, m.person_id] for m in self.workers],
            "callers": [[m.username, m.grid, m.person_id] for m in self.callers],
            "groups": [[m.username, m.grid, m.person_id] for m in self.groups],
            "devices": [list(d) for d in self.devices],
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> Directory:
        return Directory(
            grids=[Grid(*g) for g in data["grids"]],
            workers=[Member(*m) for m in data["workers"]],
            callers=[Member(*m) for m in data["callers"]],
            groups=[Member(*m) for m in data["groups"]],
            devices=[(c, k, g) for c, k, g in data["devices"]],
        )


async def check(resp: aiohttp.ClientResponse, what: str) -> Any:
    if resp.status >= 400:
        raise ProvisionError(f"{what}: HTTP {resp.status} {(await resp.text())[:300]}")
    return await resp.json() if resp.status != 204 else None


async def login_token(http: aiohttp.ClientSession, base: str, user: str, password: str) -> str:
    body = {"username": user, "password": password}
    async with http.post(f"{base}/api/v1/auth/login", json=body) as resp:
        data = await check(resp, f"sign in as {user}")
    return str(data["access_token"])


class Admin:
    """An admin session on one node of the target."""

    def __init__(self, http: aiohttp.ClientSession, base: str, token: str) -> None:
        self.http, self.base = http, base
        self.headers = {"Authorization": f"Bearer {token}"}

    async def get(self, path: str) -> Any:
        async with self.http.get(self.base + path, headers=self.headers) as resp:
            return await check(resp, f"GET {path}")

    async def post(self, path: str, body: Any) -> Any:
        async with self.http.post(self.base + path, json=body, headers=self.headers) as resp:
            return await check(resp, f"POST {path}")

    async def basic_grids(self) -> list[Grid]:
        rows = await self.get("/api/v1/grids")
        grids = [
            Grid(r["id"], r["code"], *r["centre"])
            for r in rows
            if r["level"] == "grid" and r["kind"] == "basic" and r["centre"]
        ]
        if not grids:
            raise ProvisionError("the target has no basic grids: seed it (`gridhub demo`)")
        return sorted(grids, key=lambda g: g.code)

    async def people(self) -> dict[str, int]:
        return {p["username"]: int(p["id"]) for p in await self.get("/api/v1/people")}


def wanted(s: Scenario, grids: list[Grid]) -> dict[str, list[Member]]:
    p = s.target.account_prefix
    spread = grids[: s.workers.grids or len(grids)]
    workers = [
        Member(f"{p}-w{i:04d}", spread[i % len(spread)].code) for i in range(s.workers.count)
    ]
    callers = [
        Member(f"{p}-c{i:04d}", grids[(i // 2) % len(grids)].code)
        for i in range(2 * s.callers.pairs)
    ]
    size = s.groups.members
    groups = [  # one room per grid, from the last grid backwards
        Member(f"{p}-g{i:04d}", grids[-1 - (i // size) % len(grids)].code)
        for i in range(s.groups.rooms * size)
    ]
    members = s.fanout.members + 1 if s.fanout is not None else 0
    fanout = [Member(f"{p}-f{i:04d}", grids[0].code) for i in range(members)]
    return {"workers": workers, "callers": callers, "groups": groups, "fanout": fanout}


def person_spec(member: Member, password: str) -> dict[str, Any]:
    return {
        "username": member.username,
        "display_name": f"压测 {member.username}",
        "roles": [{"role": "grid_worker", "grid": member.grid}],
        "password": password,
        "report_interval_s": 60,
    }


async def ensure_people(admin: Admin, members: list[Member], password: str) -> dict[str, int]:
    known = await admin.people()
    missing = [m for m in members if m.username not in known]
    for start in range(0, len(missing), IMPORT_CHUNK):
        chunk = [person_spec(m, password) for m in missing[start : start + IMPORT_CHUNK]]
        await admin.post("/api/v1/people/import?format=json", chunk)
    return await admin.people() if missing else known


def with_ids(members: list[Member], ids: dict[str, int]) -> list[Member]:
    return [Member(m.username, m.grid, ids[m.username]) for m in members]


async def ensure_devices(
    admin: Admin, s: Scenario, grids: list[Grid]
) -> list[tuple[str, str, str]]:
    existing = {d["code"] for d in await admin.get("/api/v1/devices")}
    gate = asyncio.Semaphore(16)

    async def one(index: int) -> tuple[str, str, str]:
        grid = grids[index % len(grids)]
        code = f"{s.target.account_prefix}-d{index:05d}"
        async with gate:
            if code in existing:
                issued = await admin.post(f"/api/v1/devices/{code}/rotate-key", None)
            else:
                spec = {
                    "code": code,
                    "name": f"压测设备 {index}",
                    "device_type": "other",
                    "grid": grid.code,
                    "lat": grid.lat,
                    "lon": grid.lon,
                }
                issued = await admin.post("/api/v1/devices", spec)
        return code, str(issued["key"]), grid.code

    return list(await asyncio.gather(*(one(i) for i in range(s.devices.count))))


async def provision(base: str, s: Scenario) -> Directory:
    """Make sure every account and device the scenario needs exists on the target."""
    async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
        token = await login_token(http, base, s.target.admin_user, s.target.admin_password)
        admin = Admin(http, base, token)
        grids = await admin.basic_grids()
        people = wanted(s, grids)
        everyone = [m for group in people.values() for m in group]
        ids = await ensure_people(admin, everyone, s.target.load_password)
        devices = await ensure_devices(admin, s, grids)
    lists = {name: with_ids(members, ids) for name, members in people.items()}
    return Directory(grids=grids, devices=devices, **lists)


def dumps(directory: Directory) -> str:
    return json.dumps(directory.to_json())
