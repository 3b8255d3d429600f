"""Benchmark 3: one sender at 1,000 msg/s into a small channel; send→ack and send→delivery."""

from __future__ import annotations

from typing import Any

from loadtests.realtime.fanout import run_hub
from loadtests.realtime.settings import BenchOptions

TARGET_ACK_P99_MS = 10.0  # issue #24, goal 3 (was 20 ms)
TARGET_DELIVERY_P99_MS = 15.0  # (was 30 ms)


async def run_latency(opts: BenchOptions) -> dict[str, Any]:
    count = max(1, round(opts.latency_rate * opts.duration_s))
    hub = await run_hub(opts, opts.latency_members, count, opts.latency_rate)
    return {
        "benchmark": "latency",
        "settings": opts.public(),
        "hub": hub,
        "targets": {
            "ack_p99_ms": TARGET_ACK_P99_MS,
            "delivery_p99_ms": TARGET_DELIVERY_P99_MS,
            "ack_p99_met": hub["ack"]["p99_ms"] <= TARGET_ACK_P99_MS,
            "delivery_p99_met": hub["delivery"]["p99_ms"] <= TARGET_DELIVERY_P99_MS,
        },
    }
