"""Smoke run of the real-time benchmarks: tiny sizes, a hub started for the run, sane figures.

The tool itself starts the hub (and the baseline server) as subprocesses on 127.0.0.1 and
stops them; this test only runs it once and checks what it reports.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--connections", "50", "--duration", "2", "--ping-interval", "1", "--accounts", "12",
        "--members", "10", "--messages", "20", "--rate", "100", "--latency-members", "2",
        "--latency-rate", "100"]  # fmt: skip


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench") / "results.json"
    data = tmp_path_factory.mktemp("bench-data")
    cmd = [sys.executable, "-m", "loadtests.realtime", "all", *ARGS, "--data-dir", str(data)]
    subprocess.run([*cmd, "--json", str(out)], cwd=ROOT, check=True, timeout=120)
    loaded: dict[str, Any] = json.loads(out.read_text())
    return loaded


def channels_missing(result: dict[str, Any]) -> bool:
    return "no channel events" in json.dumps(result)


def test_connections_all_held(results: dict[str, Any]) -> None:
    conn = results["connections"]
    assert conn["connect"]["connected"] == 50
    assert conn["connect"]["failed"] == 0
    assert conn["hold"]["alive_at_end"] == 50
    assert conn["hold"]["pings_min_per_socket"] >= 1
    assert conn["memory"]["per_connection_kb"] > 0
    assert conn["connect"]["connect_rate_per_s"] > 0


def test_fanout_baseline_delivers_everything(results: dict[str, Any]) -> None:
    base = results["fanout"]["baseline"]
    assert base["deliveries"] == base["deliveries_expected"] == 10 * 20
    assert base["delivery"]["p50_ms"] > 0


def test_fanout_hub_delivers_everything(results: dict[str, Any]) -> None:
    hub = results["fanout"]["hub"]
    if channels_missing(hub):
        pytest.xfail("the hub has no channel events yet")
    assert hub["acks_ok"] == 20
    assert hub["deliveries"] == hub["deliveries_expected"] == 10 * 20
    assert results["fanout"]["ratio"]["deliveries_per_s_hub_over_baseline"] > 0


def test_latency_reports_percentiles(results: dict[str, Any]) -> None:
    lat = results["latency"]
    if channels_missing(lat):
        pytest.xfail("the hub has no channel events yet")
    hub = lat["hub"]
    assert hub["acks_ok"] == hub["messages_sent"] == 200
    assert hub["deliveries"] == 2 * 200
    assert 0 < hub["ack"]["p50_ms"] <= hub["ack"]["p99_ms"]
    assert 0 < hub["delivery"]["p50_ms"] <= hub["delivery"]["p99_ms"]
