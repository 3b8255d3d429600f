"""gridhub-load end to end: the `smoke` scenario, shortened, against a hub this test starts.

Real parts only: a `gridhub demo` subprocess on 127.0.0.1 (cheap password hashing, appeals
limit raised as the tool's --spawn-hub does), the tool run as `python -m loadtests` in its own
process with real socket.io, WebSocket device, HTTP and aiortc clients, and the python and
Node.js baseline servers. Not a performance test: it checks that every population produced
measurements, that nothing failed, and that the JSON and HTML reports hold them.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from loadtests.realtime.servers import ServerProcess, hub_process, wait_for_text

ROOT = Path(__file__).resolve().parents[2]
RUN_LIMIT_S = 240


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = hub_process(tmp_path_factory.mktemp("load-hub"))
    server.env["GRIDHUB_PLUGINS__CONFIG"] = json.dumps(
        {"dispatch": {"appeal_limit": 1000, "appeal_window_s": 1}}
    )

    async def start() -> None:
        await server.start()
        await wait_for_text(server, "is listening", 120.0)

    asyncio.run(start())
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def run(hub: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("load-out")
    cmd = [
        sys.executable,
        "-m",
        "loadtests",
        "run",
        "smoke",
        "--url",
        hub.url,
        "--duration",
        "8",
        "--baseline",
        "python,node",
        "--json",
        str(out / "r.json"),
        "--html",
        str(out / "r.html"),
    ]
    done = subprocess.run(cmd, cwd=ROOT, timeout=RUN_LIMIT_S, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    results: dict[str, Any] = json.loads((out / "r.json").read_text())
    return {"results": results, "html": (out / "r.html").read_text(), "stdout": done.stdout}


MEASURED = (
    "chat.ack",
    "chat.delivery",
    "heartbeat.ack",
    "location.ack",
    "location.console",
    "device.ack",
    "alarm.console",
    "dispatch.report.ack",
    "task.push",
    "task.sign.ack",
    "incident.console",
    "appeal.http",
    "appeal.console",
    "call.ring",
    "call.setup",
    "connect.workers",
    "connect.devices",
    "group.join.ack",
    "group.audio",
)


def test_every_population_is_measured(run: dict[str, Any]) -> None:
    latency = run["results"]["latency"]
    for name in MEASURED:
        assert latency.get(name, {}).get("count", 0) > 0, name
        figures = latency[name]
        assert 0 < figures["p50_ms"] <= figures["p90_ms"] <= figures["p99_ms"] <= figures["max_ms"]


def test_everyone_connected_and_nothing_failed(run: dict[str, Any]) -> None:
    results = run["results"]
    for population in ("workers", "commanders", "devices", "callers", "groups"):
        figures = results["connect"][population]
        assert figures["connected"] == figures["attempted"] > 0
    assert results["connect"]["logins"]["failed"] == 0
    assert results["errors"] == {}
    assert results["counts"]["calls.completed"] >= 1
    assert results["counts"]["group.members_heard"] == 3  # each heard the others' tones


def test_per_second_series_and_server_figures(run: dict[str, Any]) -> None:
    results = run["results"]
    seconds = results["series"]["seconds"]
    assert len(seconds) >= 8
    assert max(s["gauges"].get("connections.workers", 0) for s in seconds) == 20
    assert any("device.ack" in s["latency"] for s in seconds)
    metrics = results["server_metrics"]["nodes"][results["targets"][0]]
    assert metrics["available"]
    logins = [k for k in metrics["deltas"] if "/api/v1/auth/login" in k and "200" in k]
    assert logins
    assert results["cpu"]["loadgen_cpu_pct"] > 0
    assert results["cpu"]["window_s"] >= 8


def test_fanout_beside_both_baselines(run: dict[str, Any]) -> None:
    fanout = run["results"]["fanout"]
    for server in ("hub", "python", "node"):
        assert fanout[server]["deliveries"] == fanout[server]["deliveries_expected"] == 20 * 50
    for kind in ("python", "node"):
        assert fanout["ratios"][kind]["deliveries_per_s_hub_over_baseline"] > 0


def test_html_report_is_self_contained_with_charts(run: dict[str, Any]) -> None:
    page = run["html"]
    assert page.count("<svg") >= 5
    assert "chat.delivery: latency over time" in page
    assert "open connections" in page
    assert "throughput" in page
    assert "<script src" not in page
    assert "https://" not in page


def test_final_table_printed(run: dict[str, Any]) -> None:
    assert "== latency (ms) ==" in run["stdout"]
    assert "hub / node: throughput x" in run["stdout"]
