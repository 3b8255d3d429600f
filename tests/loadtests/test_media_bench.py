"""Smoke run of the media benchmark: a few peers, a short window, every frame accounted for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_small_room_is_counted_at_the_clients(tmp_path: Path) -> None:
    out = tmp_path / "media.json"
    cmd = [sys.executable, "-m", "loadtests.media", "--participants", "4", "--speakers", "2"]
    cmd += ["--clients", "1", "--duration", "2", "--warmup", "1", "--json", str(out)]
    subprocess.run(cmd, cwd=ROOT, check=True, timeout=120, capture_output=True)
    (row,) = json.loads(out.read_text())["rows"]
    assert row["participants"] == 4
    assert row["expected_frames"] == 400
    assert row["received"] + row["lost"] >= 0.9 * 400  # arrivals at the window's edges vary
    assert row["worker_cpu"] > 0
    assert 0 <= row["late_or_lost_pct"] <= 100
