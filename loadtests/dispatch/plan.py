"""Where the benchmark files incidents: every basic grid that has a worker, and that worker."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from loadtests.realtime.accounts import login

ADMIN, PASSWORD = "admin", "Demo@2026"


@dataclass(frozen=True)
class Targets:
    pairs: list[tuple[str, int]]  # (basic grid code, person id of its worker)

    def pick(self, n: int) -> tuple[str, int]:
        return self.pairs[n % len(self.pairs)]


async def load_targets(url: str) -> Targets:
    async with aiohttp.ClientSession() as http:
        admin = await login(http, url, ADMIN, PASSWORD)
        headers = {"Authorization": f"Bearer {admin.token}"}
        async with http.get(f"{url}/api/v1/people", headers=headers) as response:
            response.raise_for_status()
            people = await response.json()
    pairs = {
        (role["grid"], person["id"])
        for person in people
        for role in person["roles"]
        if role["role"] == "grid_worker" and role["grid"] and role["grid"].count("-") == 3
        and "-Z" not in role["grid"] and "-P" not in role["grid"]
    }  # fmt: skip
    if not pairs:
        raise RuntimeError("the demo county has no grid workers on basic grids")
    return Targets(sorted(pairs))
