"""Smoke run of the escalation benchmark: tiny sizes, both timer stores, sane figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--chains", "120", "--window", "1", "--burst", "20", "--steps", "1.5,2", "--finish", "20"]


def bench(tmp_path: Path, *extra: str) -> dict[str, Any]:
    out = tmp_path / "results.json"
    cmd = [sys.executable, "-m", "loadtests.escalation", *ARGS, *extra, "--json", str(out)]
    subprocess.run(cmd, cwd=ROOT, check=True, timeout=120, capture_output=True)
    loaded: dict[str, Any] = json.loads(out.read_text())
    return loaded


@pytest.mark.parametrize("timers", ["sql", "redis"])
def test_every_chain_climbs_every_step_once(tmp_path: Path, timers: str) -> None:
    result = bench(tmp_path, "--timers", timers)
    assert result["steps"]["count"] == 240
    assert result["peak_active"] > 0
    assert result["steps"]["p50_ms"] >= 0
    assert result["timer_stats"]["fired"] == 240
    assert result["timer_stats"]["dead_lettered"] == 0
