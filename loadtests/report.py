"""Results of a run as one JSON-able dict, and the final table printed at the end."""

from __future__ import annotations

import math
from typing import Any

from loadtests.realtime.cli import machine
from loadtests.recorder import Aggregate
from loadtests.scenario import Scenario, is_loopback
from loadtests.scrape import headline

POPULATIONS = ("workers", "commanders", "devices", "callers", "groups")


def connect_figures(agg: Aggregate, setup: Aggregate) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pop in POPULATIONS:
        attempts = agg.counts.get(f"attempt.{pop}", 0)
        if not attempts:
            continue
        ok = agg.counts.get(f"connect.{pop}", 0)
        out[pop] = {
            "attempted": attempts,
            "connected": ok,
            "success_rate": round(ok / attempts, 4),
            "peak": peak(agg, pop),
        }
    out["logins"] = {
        "ok": setup.counts.get("setup.login", 0),
        "failed": sum(v for k, v in setup.errors.items() if k.startswith("login.")),
    }
    return out


def peak(agg: Aggregate, pop: str) -> int:
    return max((g.get(f"connections.{pop}", 0) for g in agg.gauge_series()), default=0)


def cpu_figures(marks: dict[str, float], agg: Aggregate) -> dict[str, float]:
    """CPU in % of one core over the load phase: the hub (when spawned), the client processes,
    and everything else the machine ran meanwhile (other people's work skews the figures)."""
    wall = max(marks["wall_s"], 1e-9)
    clients = agg.gauge_totals().get("cpu.loadgen_ms", 0) / 1000.0 + marks["runner_s"]
    hub = marks["hub_s"]
    other = max(0.0, marks["busy_s"] - hub - clients)
    return {
        "window_s": round(wall, 1),
        "hub_cpu_pct": round(100 * hub / wall, 1),
        "loadgen_cpu_pct": round(100 * clients / wall, 1),
        "other_cpu_pct": round(100 * other / wall, 1),
        "hub_measured": marks["hub_s"] > 0,
    }


def throughput(agg: Aggregate, seconds: float) -> dict[str, float]:
    return {
        name: round(count / seconds, 2)
        for name, count in sorted(agg.counts.items())
        if not name.startswith("attempt.")
    }


def build(s: Scenario, urls: list[str], raw: dict[str, Any], command: list[str]) -> dict[str, Any]:
    agg: Aggregate = raw["load"]
    setup: Aggregate = raw["setup"]
    remote = [u for u in urls if not is_loopback(u.split("://", 1)[1].split(":")[0].strip("[]"))]
    return {
        "tool": "gridhub-load",
        "command": command,
        "scenario": s.public(),
        "targets": urls,
        "machine": machine(),
        "started_at": raw["started_at"],
        "clock_note": "latencies subtract send times carried in payloads; for remote targets "
        "(" + ", ".join(remote) + ") the hub's clock must be in sync"
        if remote
        else "",
        "latency": agg.latencies(),
        "throughput_per_s": throughput(agg, s.duration_s),
        "counts": dict(sorted(agg.counts.items())),
        "errors": dict(agg.errors.most_common()),
        "connect": connect_figures(agg, setup),
        "cpu": cpu_figures(raw["cpu"], agg),
        "setup": {"latency": setup.latencies(), "errors": dict(setup.errors)},
        "series": agg.series(),
        "server_metrics": raw["server"],
        "fanout": raw["fanout"],
    }


def fmt(value: Any) -> str:
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else f"{value:,.2f}"
            if abs(value) < 1000
            else f"{value:,.0f}"
        )
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def grid(title: str, header: list[str], rows: list[list[Any]]) -> str:
    cells = [header, *[[fmt(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = [f"== {title} =="]
    for n, row in enumerate(cells):
        lines.append(
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def table(r: dict[str, Any]) -> str:
    parts = [
        grid(
            "latency (ms)",
            ["metric", "count", "p50", "p90", "p99", "max"],
            [
                [k, v["count"], v["p50_ms"], v["p90_ms"], v["p99_ms"], v["max_ms"]]
                for k, v in r["latency"].items()
            ],
        )
    ]
    conn = [
        [k, v["attempted"], v["connected"], v["success_rate"], v["peak"]]
        for k, v in r["connect"].items()
        if k != "logins"
    ]
    parts.append(
        grid("connections", ["population", "attempted", "connected", "rate", "peak"], conn)
    )
    events = [
        [k, v, r["throughput_per_s"].get(k, 0.0)]
        for k, v in r["counts"].items()
        if k not in r["latency"] and not k.startswith("attempt.")
    ]
    if events:
        parts.append(grid("other events", ["event", "count", "per s"], events))
    cpu = r["cpu"]
    hub = f"hub {cpu['hub_cpu_pct']}, " if cpu["hub_measured"] else ""
    parts.append(
        f"CPU over {cpu['window_s']} s, % of one core: {hub}load generator "
        f"{cpu['loadgen_cpu_pct']}, everything else on the machine {cpu['other_cpu_pct']}"
    )
    errors = list(r["errors"].items()) or [("(none)", 0)]
    parts.append(grid("errors by code", ["code", "count"], [list(e) for e in errors]))
    server = headline(r["server_metrics"]["deltas_summed"])
    if server:
        parts.append(
            grid(
                "server /metrics (change over the run)",
                ["series", "delta"],
                [list(x) for x in server],
            )
        )
    if r["fanout"]:
        parts.append(fanout_table(r["fanout"]))
    return "\n\n".join(parts)


def fanout_table(f: dict[str, Any]) -> str:
    rows = []
    for name in ("hub", "python", "node"):
        x = f.get(name)
        if not x:
            continue
        if "error" in x:
            rows.append([name, x["error"][:60], "", "", ""])
            continue
        d = x["delivery"]
        rows.append(
            [
                name,
                x["deliveries_per_s"],
                d["p50_ms"],
                d["p99_ms"],
                f"{x['deliveries']}/{x['deliveries_expected']}",
            ]
        )
    text = grid("room fan-out", ["server", "deliveries/s", "p50 ms", "p99 ms", "delivered"], rows)
    for kind, ratio in (f.get("ratios") or {}).items():
        text += (
            f"\nhub / {kind}: throughput x{ratio['deliveries_per_s_hub_over_baseline']}, "
            f"p50 x{ratio['p50_hub_over_baseline']}, p99 x{ratio['p99_hub_over_baseline']}"
        )
    return text
