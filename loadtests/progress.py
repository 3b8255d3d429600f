"""Live progress: one line a second (refreshed in place on a terminal), no curses needed."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable

from loadtests.recorder import Aggregate, summary
from loadtests.scenario import Scenario

SHOWN = (
    "chat.delivery",
    "location.console",
    "device.ack",
    "alarm.console",
    "task.push",
    "appeal.http",
    "call.setup",
    "group.audio",
    "heartbeat.ack",
)


def line(agg: Aggregate, s: Scenario, elapsed: float) -> str:
    second = max(agg.seconds, default=0)
    slot = agg.seconds.get(second - 1) or agg.seconds.get(second)
    sockets = sum(v for k, v in agg.gauge_totals().items() if k.startswith("connections."))
    parts = [
        f"{min(elapsed, s.duration_s):5.0f}/{s.duration_s:.0f}s",
        f"conn {sockets:,}",
        f"errors {sum(agg.errors.values()):,}",
    ]
    if slot is not None:
        ops = sum(v for k, v in slot.counts.items() if not k.startswith(("attempt.", "connect.")))
        parts.append(f"ops/s {ops:,}")
        for name in SHOWN:
            hist = slot.histograms.get(name)
            if hist is not None:
                parts.append(f"{name} p99 {summary(hist)['p99_ms']:.1f}ms")
    return " | ".join(parts)


async def watch(
    agg: Aggregate, s: Scenario, go: float, live: bool, say: Callable[[str], None]
) -> None:
    """Until cancelled: every second, a line refreshed in place on a terminal, else printed."""
    tty = live and sys.stdout.isatty()
    while True:
        await asyncio.sleep(1.0)
        text = line(agg, s, time.time() - go)
        if tty:
            sys.stdout.write("\r\x1b[2K" + text[:200])
            sys.stdout.flush()
        elif live:
            say(text)


def finish_line(live: bool) -> None:
    if live and sys.stdout.isatty():
        sys.stdout.write("\n")
