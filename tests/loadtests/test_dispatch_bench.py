"""Smoke run of the dispatch benchmark: a few incidents a second against a hub it starts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_files_dispatches_and_measures_delivery(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    cmd = [sys.executable, "-m", "loadtests.dispatch", "--rate", "10", "--duration", "2",
           "--data-dir", str(tmp_path / "data"), "--json", str(out)]  # fmt: skip
    subprocess.run(cmd, cwd=ROOT, check=True, timeout=180, capture_output=True)
    result = json.loads(out.read_text())
    assert result["incidents_dispatched"] == 20
    assert result["errors"] == {}
    # every console in scope saw both changes of each incident it covers (the county sees all)
    assert result["console_delivery"]["count"] >= 2 * 20
    assert 0 < result["console_delivery"]["p50_ms"] < 5000
    assert result["report_ack"]["count"] == result["dispatch_ack"]["count"] == 20
