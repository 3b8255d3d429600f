"""Options shared by the benchmarks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class BenchOptions:
    data_dir: Path
    connections: int = 10_000
    duration_s: float = 60.0
    messages: int = 500
    rate: float = 200.0
    members: int = 500
    latency_members: int = 4
    latency_rate: float = 1000.0
    accounts: int = 510
    ping_interval_s: float = 25.0
    heartbeat_s: float = 20.0
    parallel: int = 50
    workers: int | None = None
    text_bytes: int = 120
    connections_baseline: bool = False
    receivers: str = "raw"  # fan-out receivers: raw engine.io clients or python-socketio

    def public(self) -> dict[str, Any]:
        return {
            "connections": self.connections,
            "duration_s": self.duration_s,
            "messages": self.messages,
            "rate_per_s": self.rate,
            "members": self.members,
            "latency_members": self.latency_members,
            "latency_rate_per_s": self.latency_rate,
            "ping_interval_s": self.ping_interval_s,
            "heartbeat_s": self.heartbeat_s,
            "connect_parallel": self.parallel,
            "receivers": self.receivers,
        }
