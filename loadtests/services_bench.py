"""Benchmark of venue booking (plugin `services`): slots fought over by many residents at once,
and bookings of distinct slots, through the public HTTP API of a running hub.

    .venv/bin/python -m loadtests.services_bench --rounds 20 --contenders 50 [--database-url URL]

Starts a demo-county hub (SQLite in a temporary folder unless --database-url names an empty
database) with a venue; each round, `--contenders` clients book one slot at the same moment
(each its own HTTP session) and exactly one must win; then `--distinct` clients book distinct
slots at once, all of which must win. Prints the requests' p50/p99 latency and the rates.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub.testing import HubClient, running_hub

API = "/api/v1/services"
LIMITS = {"public_submit_per_minute": 10_000, "public_lookup_per_minute": 10_000}


def slot(index: int) -> tuple[str, str]:
    """The day and start of the index-th hourly slot (08:00–21:00), from tomorrow on."""
    day = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1 + index // 13)
    return day.isoformat(), f"{8 + index % 13:02d}:00"


async def book(client: HubClient, venue_id: int, index: int) -> tuple[int, float]:
    day, start = slot(index)
    body = {
        "day": day,
        "start": start,
        "purpose": "压测",
        "attendees": 10,
        "name": "测试",
        "phone": "13800001234",
    }
    began = time.perf_counter()
    response = await client.post(f"{API}/public/venues/{venue_id}/bookings", json=body)
    await response.json()
    return response.status, time.perf_counter() - began


def summary(name: str, samples: list[float], seconds: float) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"{name}: {len(samples)} requests in {seconds:.2f} s ({len(samples) / seconds:.0f}/s), "
        f"p50 {statistics.median(ordered) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"
    )


async def run(args: argparse.Namespace) -> None:
    config: dict[str, Any] = {"services": LIMITS}
    async with running_hub(
        ["services"], demo=True, database_url=args.database_url, config=config
    ) as hub:
        officer = await hub.sign_in("v01.cmd")
        spec = {
            "grid_id": await hub.grid_id("370783-001-001"),
            "name": "压测大院",
            "capacity": 100,
            "opens": "08:00",
            "closes": "21:00",
        }
        venue = await officer.json("POST", f"{API}/venues", json=spec)
        clients = [hub.anonymous() for _ in range(max(args.contenders, args.distinct))]
        fought: list[float] = []
        began = time.perf_counter()
        for index in range(args.rounds):
            results = await asyncio.gather(
                *(book(c, venue["id"], index) for c in clients[: args.contenders])
            )
            assert [s for s, _ in results].count(201) == 1, results
            fought += [t for _, t in results]
        print(summary("contended (one slot per round)", fought, time.perf_counter() - began))
        began = time.perf_counter()
        first = args.rounds
        results = await asyncio.gather(
            *(book(c, venue["id"], first + k) for k, c in enumerate(clients[: args.distinct]))
        )
        assert all(s == 201 for s, _ in results), results
        print(summary("distinct slots", [t for _, t in results], time.perf_counter() - began))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--contenders", type=int, default=50)
    parser.add_argument("--distinct", type=int, default=100)
    parser.add_argument("--database-url", default=None)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
