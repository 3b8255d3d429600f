"""The HTML report: one self-contained file, charts drawn as inline SVG (works offline)."""

from __future__ import annotations

import html
import json
from typing import Any

from loadtests.report import fmt

COLOURS = ("#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563")
W, H, PAD = 560, 220, 44
Points = list[tuple[float, float]]


def nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10.0 ** len(str(int(value))) / 10
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * step >= value:
            return m * step
    return float(value)


def axes(xmax: float, ymax: float, unit: str) -> list[str]:
    out = [
        f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - 10}" y2="{H - PAD}" stroke="#999"/>',
        f'<line x1="{PAD}" y1="10" x2="{PAD}" y2="{H - PAD}" stroke="#999"/>',
    ]
    for i in range(5):
        y = H - PAD - i * (H - PAD - 10) / 4
        out.append(f'<line x1="{PAD}" y1="{y:.1f}" x2="{W - 10}" y2="{y:.1f}" stroke="#eee"/>')
        out.append(
            f'<text x="{PAD - 4}" y="{y + 4:.1f}" text-anchor="end">{fmt(ymax * i / 4)}</text>'
        )
    for i in range(6):
        x = PAD + i * (W - PAD - 10) / 5
        out.append(
            f'<text x="{x:.1f}" y="{H - PAD + 16}" text-anchor="middle">{xmax * i / 5:.0f}s</text>'
        )
    out.append(f'<text x="{PAD}" y="{H - 6}">{html.escape(unit)}</text>')
    return out


def line_chart(title: str, series: dict[str, Points], unit: str) -> str:
    drawn = {k: v for k, v in series.items() if v}
    xmax = max((x for pts in drawn.values() for x, _ in pts), default=1.0) or 1.0
    ymax = nice_max(max((y for pts in drawn.values() for _, y in pts), default=1.0))
    body = axes(xmax, ymax, unit)
    for n, (name, pts) in enumerate(drawn.items()):
        colour = COLOURS[n % len(COLOURS)]
        path = " ".join(
            f"{PAD + x / xmax * (W - PAD - 10):.1f},{H - PAD - y / ymax * (H - PAD - 10):.1f}"
            for x, y in pts
        )
        dash = ' stroke-dasharray="4 3"' if name.endswith("p50") else ""
        body.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.6"{dash} points="{path}"/>'
        )
        body.append(
            f'<text x="{W - 12}" y="{20 + 13 * n}" text-anchor="end" fill="{colour}">'
            f"{html.escape(name)}</text>"
        )
    return (
        f'<figure><figcaption>{html.escape(title)}</figcaption><svg viewBox="0 0 {W} {H}" '
        f'width="{W}" height="{H}" font-size="10">{"".join(body)}</svg></figure>'
    )


def bar_chart(title: str, bars: dict[str, float], unit: str) -> str:
    top = nice_max(max(bars.values(), default=1.0))
    rows, height = [], 26 * len(bars) + 20
    for n, (name, value) in enumerate(bars.items()):
        width = value / top * (W - 200)
        y = 10 + 26 * n
        rows.append(
            f'<text x="110" y="{y + 14}" text-anchor="end">{html.escape(name)}</text>'
            f'<rect x="116" y="{y}" width="{width:.1f}" height="18" '
            f'fill="{COLOURS[n % len(COLOURS)]}"/>'
            f'<text x="{120 + width:.1f}" y="{y + 14}">{fmt(value)} {unit}</text>'
        )
    return (
        f'<figure><figcaption>{html.escape(title)}</figcaption><svg viewBox="0 0 {W} '
        f'{height}" width="{W}" height="{height}" font-size="11">{"".join(rows)}</svg></figure>'
    )


def latency_charts(r: dict[str, Any]) -> list[str]:
    rows = r["series"]["seconds"]
    charts = []
    for name in r["latency"]:
        p50 = [(row["t"], row["latency"][name][0]) for row in rows if name in row["latency"]]
        p99 = [(row["t"], row["latency"][name][1]) for row in rows if name in row["latency"]]
        if len(p99) > 1:
            charts.append(
                line_chart(
                    f"{name}: latency over time", {f"{name} p99": p99, f"{name} p50": p50}, "ms"
                )
            )
    return charts


def throughput_chart(r: dict[str, Any]) -> str:
    rows = r["series"]["seconds"]
    skip = ("attempt.", "connect.", "call.audio_frames")
    totals = {k: v for k, v in r["counts"].items() if not k.startswith(skip)}
    names = sorted(totals, key=lambda k: -totals[k])[: len(COLOURS)]
    series = {n: [(row["t"], float(row["counts"].get(n, 0))) for row in rows] for n in names}
    return line_chart("throughput (events per second)", series, "per s")


def connections_chart(r: dict[str, Any]) -> str:
    rows = r["series"]["seconds"]
    names = sorted({k for row in rows for k in row["gauges"] if k.startswith("connections.")})
    series = {
        n.removeprefix("connections."): [(row["t"], float(row["gauges"].get(n, 0))) for row in rows]
        for n in names
    }
    errors = {"errors": [(row["t"], float(row["errors"])) for row in rows]}
    return line_chart("open connections", series, "sockets") + line_chart(
        "errors per second", errors, "per s"
    )


def table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(fmt(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def fanout_section(f: dict[str, Any] | None) -> str:
    if not f:
        return ""
    ok = {k: f[k] for k in ("hub", "python", "node") if k in f and "error" not in f[k]}
    parts = [
        "<h2>Room fan-out: the hub beside bare socket.io servers</h2>",
        bar_chart("deliveries per second", {k: v["deliveries_per_s"] for k, v in ok.items()}, "/s"),
        bar_chart("delivery p99", {k: v["delivery"]["p99_ms"] for k, v in ok.items()}, "ms"),
    ]
    rows = [[k, *v.values()] for k, v in (f.get("ratios") or {}).items()]
    if rows:
        parts.append(
            table(["baseline", "throughput hub/base", "p50 hub/base", "p99 hub/base"], rows)
        )
    parts += [
        f"<p class=err>{html.escape(k)}: {html.escape(v['error'])}</p>"
        for k, v in f.items()
        if isinstance(v, dict) and "error" in v
    ]
    return "".join(parts)


STYLE = """body{font:14px system-ui,sans-serif;margin:24px;color:#111;max-width:1200px}
figure{display:inline-block;margin:8px;border:1px solid #ddd;padding:6px}
figcaption{font-weight:600;margin-bottom:4px}table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}td:first-child{text-align:left}
.err{color:#b91c1c}code{background:#f3f4f6;padding:1px 4px}
.cards{display:flex;flex-wrap:wrap;gap:8px}.cards div{border:1px solid #ddd;padding:8px 12px;
min-width:120px}.cards b{display:block;font-size:20px}.cards span{color:#555;font-size:12px}"""


KEY_METRICS = (
    "chat.delivery",
    "location.console",
    "task.push",
    "device.ack",
    "alarm.console",
    "appeal.http",
    "call.setup",
)


def headline(r: dict[str, Any]) -> str:
    """The figures a reader looks for first, as cards."""
    peak = sum(v["peak"] for k, v in r["connect"].items() if k != "logins")
    cards = [("peak connections", fmt(peak)), ("errors", fmt(sum(r["errors"].values())))]
    cpu = r["cpu"]
    if cpu["hub_measured"]:
        cards.append(("hub CPU, % of a core", fmt(cpu["hub_cpu_pct"])))
    cards.append(("others' CPU, % of a core", fmt(cpu["other_cpu_pct"])))
    cards += [
        (f"{k} p99", f"{fmt(r['latency'][k]['p99_ms'])} ms")
        for k in KEY_METRICS
        if k in r["latency"]
    ]
    for kind, ratio in ((r["fanout"] or {}).get("ratios") or {}).items():
        cards.append((f"fan-out hub/{kind}", f"x{ratio['deliveries_per_s_hub_over_baseline']}"))
    return (
        "<div class=cards>"
        + "".join(
            f"<div><b>{html.escape(v)}</b><span>{html.escape(k)}</span></div>" for k, v in cards
        )
        + "</div>"
    )


def render(r: dict[str, Any]) -> str:
    s = r["scenario"]
    lat = [
        [k, v["count"], v["p50_ms"], v["p90_ms"], v["p99_ms"], v["max_ms"]]
        for k, v in r["latency"].items()
    ]
    conn = [[k, *v.values()] for k, v in r["connect"].items() if k != "logins"]
    errors = [list(e) for e in r["errors"].items()] or [["(none)", 0]]
    parts = [
        f"<h1>gridhub-load: {html.escape(s['name'])}</h1><p>{html.escape(s['description'])}</p>",
        f"<p>Targets: {html.escape(', '.join(r['targets']))} · {s['duration_s']:g} s "
        f"(ramp {s['ramp_s']:g} s) · machine: {html.escape(json.dumps(r['machine']))}</p>",
        f"<p>Command: <code>{html.escape(' '.join(r['command']))}</code></p>",
        headline(r),
        "<h2>Latency (ms, HdrHistogram)</h2>",
        table(["metric", "count", "p50", "p90", "p99", "max"], lat),
        "<h2>Over time</h2>",
        throughput_chart(r),
        connections_chart(r),
        *latency_charts(r),
        "<h2>Connections</h2>",
        table(["population", "attempted", "connected", "rate", "peak"], conn),
        "<h2>Errors by code</h2>",
        table(["code", "count"], errors),
        fanout_section(r["fanout"]),
        server_section(r),
    ]
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>gridhub-load "
        f"{html.escape(s['name'])}</title><style>{STYLE}</style></head><body>"
        f"{''.join(parts)}</body></html>"
    )


def server_section(r: dict[str, Any]) -> str:
    summed = r["server_metrics"]["deltas_summed"]
    if not summed:
        return "<h2>Server /metrics</h2><p>not available</p>"
    rows = [[k, v] for k, v in sorted(summed.items())]
    return "<h2>Server /metrics: change over the run</h2>" + table(["series", "delta"], rows)
