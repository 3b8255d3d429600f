"""A fresh three-service deployment per test: PostgreSQL database, private Redis, hub nodes."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.cluster.nodes import Cluster, deployment

ROOT = Path(__file__).resolve().parents[2]


def _probe_plugin(tmp_path: Path) -> str:
    """Install tests.cluster.timer_probe as a plugin through a real entry point."""
    site = tmp_path / "site"
    info = site / "gridhub_timerprobe-0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: gridhub-timerprobe\nVersion: 0.0\n"
    )
    (info / "entry_points.txt").write_text(
        "[gridhub.plugins]\ntimerprobe = tests.cluster.timer_probe:TimerProbe\n"
    )
    return os.pathsep.join([str(site), str(ROOT)])


@pytest.fixture
async def cluster(postgres_server: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    env = {
        "GRIDHUB_REALTIME__NODE_TTL_S": "2",
        "GRIDHUB_REALTIME__SWEEP_INTERVAL_S": "0.3",
        "GRIDHUB_AUTH__ACCESS_TTL_S": "3600",
        "GRIDHUB_TIMERS__LEASE_S": "2",
        "PYTHONPATH": _probe_plugin(tmp_path),
        "GRIDHUB_PLUGINS__CONFIG": json.dumps(
            {"timerprobe": {"out": str(tmp_path / "fired.jsonl")}}
        ),
    }
    with deployment(postgres_server, tmp_path, "gridhub_cluster_", env) as nodes:
        yield nodes
