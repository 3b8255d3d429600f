"""The server's own figures: ``/metrics`` (Prometheus text) read before and after the load.

Counters and histogram sums/counts are reported as the change over the run; gauges as the
value after it. Bucket and ``_created`` series are left out. For a cluster, each node's
figures are kept apart and also summed.
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp

LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?)\s+(\S+)")


def parse(text: str) -> tuple[dict[str, float], dict[str, str]]:
    """Series → value, and metric family → type (counter, gauge, histogram, …)."""
    values: dict[str, float] = {}
    types: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _hash, _type, name, kind = line.split(maxsplit=3)
            types[name] = kind.strip()
            continue
        match = LINE.match(line)
        if not match or "_bucket" in match.group(1) or "_created" in match.group(1):
            continue
        try:
            values[match.group(1)] = float(match.group(2))
        except ValueError:
            continue
    return values, types


def family(series: str, types: dict[str, str]) -> str:
    name = series.split("{", 1)[0]
    for suffix in ("_total", "_count", "_sum", ""):
        base = name.removesuffix(suffix) if suffix else name
        if base in types:
            return types[base]
    return "untyped"


async def scrape(http: aiohttp.ClientSession, base: str, token: str | None = None) -> str:
    """The node's /metrics text, or "" when it cannot be read. A hub answers only loopback and
    its `metrics_allowed_networks`, or a scraper with its `metrics_token` (as a bearer token)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        async with http.get(base + "/metrics", headers=headers) as resp:
            return await resp.text() if resp.status == 200 else ""
    except (aiohttp.ClientError, TimeoutError):
        return ""


async def scrape_all(urls: list[str], token: str | None = None) -> list[str]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as http:
        return [await scrape(http, url, token) for url in urls]


def change(before: str, after: str) -> dict[str, Any]:
    """What moved during the run: counter deltas and gauges after."""
    old, _ = parse(before)
    new, types = parse(after)
    deltas: dict[str, float] = {}
    gauges: dict[str, float] = {}
    for series, value in sorted(new.items()):
        if family(series, types) == "gauge":
            gauges[series] = value
        elif value - old.get(series, 0.0):
            deltas[series] = round(value - old.get(series, 0.0), 6)
    return {"available": bool(after), "deltas": deltas, "gauges": gauges}


def changes(urls: list[str], before: list[str], after: list[str]) -> dict[str, Any]:
    nodes = {url: change(b, a) for url, b, a in zip(urls, before, after, strict=True)}
    total: dict[str, float] = {}
    for node in nodes.values():
        for series, value in node["deltas"].items():
            total[series] = round(total.get(series, 0.0) + value, 6)
    return {"nodes": nodes, "deltas_summed": total}


def headline(summed: dict[str, float], limit: int = 12) -> list[tuple[str, float]]:
    """The largest counter changes, for the final table."""
    counters = [(k, v) for k, v in summed.items() if k.split("{")[0].endswith("_total")]
    return sorted(counters, key=lambda kv: -abs(kv[1]))[:limit]
