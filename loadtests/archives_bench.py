"""Benchmark of the jurisdiction archive (plugin `archives`): import from CSV at scale, then
look-ups and map viewports over that archive, through the HTTP API of a running hub.

    .venv/bin/python -m loadtests.archives_bench --people 100000 [--database-url URL]

Starts a demo-county hub (SQLite in a temporary folder unless --database-url names an empty
database), imports `--people / 2.5` houses and `--people` residents as CSV files of at most
`--chunk` rows (each a real import: checked, then written in one transaction), then times
`--queries` searches of each kind (name prefix, exact ID number, exact phone; limit 50) and map
requests (a zoomed viewport of single houses, the cluster view of the county), and prints the
figures (rows/s, p50/p99 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import random
import statistics
import time
from typing import Any

from hub.testing import HubClient, running_hub

API = "/api/v1/archives"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = "伟强磊军勇杰涛明超刚平辉芳娜敏静丽艳娟霞燕玲"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(serial: int) -> str:
    """A valid GB 11643 number, unique per serial (birth day and sequence from it)."""
    day = 1 + serial % 28
    month = 1 + (serial // 28) % 12
    year = 1930 + (serial // 336) % 90
    sequence = (serial // 30240) % 1000
    first17 = f"370783{year:04d}{month:02d}{day:02d}{sequence:03d}"
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def phone(serial: int) -> str:
    return f"13{serial:09d}"


def table(header: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


async def upload(client: HubClient, kind: str, data: bytes) -> None:
    params = {"kind": kind, "format": "csv", "dry_run": "false"}
    response = await client.request("POST", f"{API}/import", data=data, params=params)
    body = await response.json()
    assert response.status == 200, str(body)[:500]


async def import_all(client: HubClient, grids: list[tuple[str, float, float]], people: int,
                     chunk: int) -> dict[str, float]:  # fmt: skip
    rng = random.Random(7)
    houses = max(1, int(people / 2.5))
    started = time.perf_counter()
    header = ["房屋编码", "网格编码", "地址", "经度", "纬度"]
    for start in range(0, houses, chunk):
        rows = []
        for n in range(start, min(houses, start + chunk)):
            code, lng, lat = grids[n % len(grids)]
            rows.append([f"B{n:07d}", code, f"测试路{n}号",
                         round(lng + rng.uniform(-0.01, 0.01), 6),
                         round(lat + rng.uniform(-0.008, 0.008), 6)])  # fmt: skip
        await upload(client, "houses", table(header, rows))
    houses_s = time.perf_counter() - started
    header = ["网格编码", "姓名", "身份证号", "人口类型", "联系电话", "房屋编码"]
    started = time.perf_counter()
    for start in range(0, people, chunk):
        rows = [[grids[(n // 3) % len(grids)][0],
                 rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN), id_number(n),
                 "户籍", phone(n), f"B{(n // 3) % houses:07d}"]
                for n in range(start, min(people, start + chunk))]  # fmt: skip
        await upload(client, "residents", table(header, rows))
    people_s = time.perf_counter() - started
    return {"houses": houses, "houses_s": houses_s, "people_s": people_s}


async def timed(client: HubClient, params: list[dict[str, Any]], path: str) -> list[float]:
    times = []
    for query in params:
        started = time.perf_counter()
        await client.json("GET", path, params=query)
        times.append((time.perf_counter() - started) * 1000)
    return times


def figures(times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered):.1f} ms, p99 {p99:.1f} ms (n={len(ordered)})"


async def run(people: int, chunk: int, queries: int, database_url: str | None) -> None:
    # the import outlives the default 15-minute access token at a county's scale
    async with running_hub(["archives"], demo=True, database_url=database_url,
                           auth={"access_ttl_s": 86_400}) as hub:  # fmt: skip
        admin = await hub.admin()
        await hub.add_person("bench.officer", [("archives_officer", "370783")])
        officer = await hub.sign_in("bench.officer")
        found: list[dict[str, Any]] = await admin.json("GET", "/api/v1/grids")
        grids = [(g["code"], g["centre"][0], g["centre"][1]) for g in found
                 if g["level"] == "grid" and g["kind"] == "basic" and g["centre"]]  # fmt: skip
        done = await import_all(officer, grids, people, chunk)
        print(f"import: {done['houses']} houses in {done['houses_s']:.1f} s "
              f"({done['houses'] / done['houses_s']:.0f} rows/s); {people} people in "
              f"{done['people_s']:.1f} s ({people / done['people_s']:.0f} rows/s)")  # fmt: skip
        rng = random.Random(3)
        picks = [rng.randrange(people) for _ in range(queries)]
        kinds = {
            "name prefix": [{"q": rng.choice(SURNAMES) + rng.choice(GIVEN)} for _ in picks],
            "exact ID number": [{"id_number": id_number(n)} for n in picks],
            "exact phone": [{"phone": phone(n)} for n in picks],
        }
        for label, params in kinds.items():
            print(f"search by {label}: {figures(await timed(officer, params, f'{API}/residents'))}")
        boxes = []
        for n in picks[: max(10, queries // 5)]:
            _, lng, lat = grids[n % len(grids)]
            boxes.append({"bbox": f"{lng - 0.005},{lat - 0.004},{lng + 0.005},{lat + 0.004}",
                          "zoom": 17})  # fmt: skip
        print(f"map viewport (single houses, zoom 17): "
              f"{figures(await timed(officer, boxes, f'{API}/houses.geojson'))}")  # fmt: skip
        clusters: list[dict[str, Any]] = [{}] * max(5, queries // 20)
        print(f"map, the county's clusters (no view given): "
              f"{figures(await timed(officer, clusters, f'{API}/houses.geojson'))}")  # fmt: skip
        views = await timed(officer, county_views(grids, queries), f"{API}/houses.geojson")
        print(f"map, clusters as the console asks (bbox, zoom 10 to 15): {figures(views)}")


def county_views(grids: list[tuple[str, float, float]], queries: int) -> list[dict[str, Any]]:
    """The console's viewport reads over the county: its whole extent at zooms 10 to 12, and
    views around a grid at 13 to 15 (what a moving map asks for)."""
    lngs, lats = [g[1] for g in grids], [g[2] for g in grids]
    whole = f"{min(lngs) - 0.05},{min(lats) - 0.05},{max(lngs) + 0.05},{max(lats) + 0.05}"
    views: list[dict[str, Any]] = []
    for n in range(max(12, queries // 5)):
        zoom = 10 + n % 6
        if zoom <= 12:
            views.append({"bbox": whole, "zoom": zoom})
            continue
        _, lng, lat = grids[n % len(grids)]
        half = 0.5 / 2 ** (zoom - 8)  # a few cells each way
        views.append({"bbox": f"{lng - 6 * half},{lat - 4 * half},{lng + 6 * half},"
                      f"{lat + 4 * half}", "zoom": zoom})  # fmt: skip
    return views


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=50_000, help="rows per imported file")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    asyncio.run(run(args.people, args.chunk, args.queries, args.database_url))


if __name__ == "__main__":
    main()
