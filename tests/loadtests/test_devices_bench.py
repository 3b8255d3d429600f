"""Smoke run of the device benchmarks: tiny sizes, a hub started by the tool, sane reports.

Not a performance test: it checks that the tool runs end to end (seeding, device fleet,
console) and reports what it should; the figures themselves are in docs/benchmarks.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--devices", "20", "--seconds", "1.5", "--rate", "100"]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data = tmp_path_factory.mktemp("devices-bench")
    cmd = [sys.executable, "-m", "loadtests.devices", "all", *ARGS, "--data-dir", str(data)]
    done = subprocess.run(cmd, cwd=ROOT, check=True, timeout=180, capture_output=True, text=True)
    loaded: dict[str, Any] = json.loads(done.stdout)
    return loaded


def test_ingest_acknowledges_frames(results: dict[str, Any]) -> None:
    ingest = results["ingest"]
    assert ingest["devices"] == 20
    assert ingest["frames_durable_per_s"] > 0
    assert ingest["errors"] == []


def test_console_receives_the_paced_alarms(results: dict[str, Any]) -> None:
    latency = results["latency"]
    # repeats of one alarm committed together reach consoles once (the newest state)
    assert 0 < latency["console"]["count"] <= sum(latency["sent"])
    assert latency["errors"] == []


def test_memory_is_measured(results: dict[str, Any]) -> None:
    memory = results["memory"]
    assert memory["devices"] == 20
    assert memory["rss_after_kib"] >= memory["rss_before_kib"] > 0
