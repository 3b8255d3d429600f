"""The node's own figures in /metrics (docs/operations.md lists each one).

Read at scrape time: sockets, fan-out, timer statistics, errors logged. Sampled by a background
task, since a scrape cannot wait on Redis or the database: event-loop lag (how late a short
sleep wakes up), the bus backlog (consumer lag) and the oldest overdue timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterator

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from hub.bus import MessageBus
from hub.keys import BUS, METRICS, REALTIME, TIMERS
from hub.realtime import Realtime
from hub.timers import TimerService

log = logging.getLogger("gridhub.metrics")
TICK_S = 0.25  # event-loop lag probe interval
SAMPLE_EVERY = 20  # ticks between bus/timer samples (5 s)
LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ReadAtScrape(Collector):
    """Figures kept by the realtime core and the timer service, read when scraped."""

    def __init__(self, realtime: Realtime, timers: TimerService) -> None:
        self.realtime, self.timers = realtime, timers

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "gridhub_socket_connections",
            "Socket.IO connections (consoles, field apps) on this node",
            value=len(self.realtime.connections),
        )
        emits = CounterMetricFamily(
            "gridhub_fanout_emits", "realtime events emitted to rooms, by event", labels=["event"]
        )
        for event, count in sorted(self.realtime.emitted.items()):
            emits.add_metric([event], count)
        yield emits
        yield CounterMetricFamily(
            "gridhub_fanout_rooms",
            "rooms (or sockets) addressed by those emits",
            value=self.realtime.emitted_rooms,
        )
        yield from self._fast_path()
        yield from self._timers()

    def _fast_path(self) -> Iterator[Metric]:
        """hub.fanout's deliveries by path and its slow-consumer disconnects."""
        fanout = getattr(self.realtime.sio.manager, "fanout", None)
        if fanout is None:
            return
        stats = fanout.stats
        for name, text, value in (
            ("direct", "room deliveries written straight to a WebSocket", stats.direct),
            ("queued", "room deliveries queued (long-polling, busy writer)", stats.queued),
            ("writes", "transport writes carrying the direct deliveries", stats.writes),
            ("slow_disconnects", "sockets disconnected as slow consumers", stats.slow_disconnects),
        ):
            yield CounterMetricFamily(f"gridhub_fanout_{name}", text, value=value)

    def _timers(self) -> Iterator[Metric]:
        stats = self.timers.stats
        for name, text, value in (
            ("fired", "durable timers fired on this node", stats.fired),
            ("failed", "timer handler failures (retried with backoff)", stats.failed),
            ("dead_lettered", "timers given up after max_attempts", stats.dead_lettered),
            ("lost", "timer completions refused: the lease had passed on", stats.lost),
        ):
            yield CounterMetricFamily(f"gridhub_timers_{name}", text, value=value)
        yield GaugeMetricFamily(
            "gridhub_timers_running", "timer handlers running now", value=self.timers.in_flight
        )
        yield GaugeMetricFamily(
            "gridhub_timers_max_lateness_seconds",
            "the latest a timer has fired after its time, since start",
            value=stats.max_lateness_s,
        )


class ErrorCount(logging.Handler):
    """Counts ERROR and CRITICAL log records by logger (what journald shows as errors)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        super().__init__(logging.ERROR)
        self.counter = Counter(
            "gridhub_log_errors", "errors logged, by logger", ["logger"], registry=registry
        )

    def emit(self, record: logging.LogRecord) -> None:
        self.counter.labels(record.name).inc()


class Sampled:
    """Event-loop lag, bus backlog and overdue timers, sampled in the background."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.lag = Histogram(
            "gridhub_event_loop_lag_seconds",
            "how late the event loop ran a task that was due (probed every 0.25 s)",
            buckets=LAG_BUCKETS,
            registry=registry,
        )
        self.lag_max = Gauge(
            "gridhub_event_loop_lag_max_seconds",
            "the largest event-loop lag in the last 5 s",
            registry=registry,
        )
        self.waiting = Gauge(
            "gridhub_bus_backlog_messages",
            "bus messages not yet handed to a handler (consumer lag), by topic and group",
            ["topic", "group"],
            registry=registry,
        )
        self.unacked = Gauge(
            "gridhub_bus_unacked_messages",
            "bus messages handed to a handler and not yet acknowledged, by topic and group",
            ["topic", "group"],
            registry=registry,
        )
        self._probing = asyncio.Event()
        self.overdue = Gauge(
            "gridhub_timers_overdue_seconds",
            "how long the oldest due timer has waited to fire (0: none is due)",
            registry=registry,
        )

    async def run(self, bus: MessageBus, timers: TimerService) -> None:
        loop = asyncio.get_running_loop()
        worst, ticks = 0.0, 0
        while True:
            started = loop.time()
            probing, self._probing = self._probing, asyncio.Event()
            probing.set()
            await asyncio.sleep(TICK_S)
            lag = max(0.0, loop.time() - started - TICK_S)
            self.lag.observe(lag)
            worst, ticks = max(worst, lag), ticks + 1
            if ticks % SAMPLE_EVERY == 1:
                self.lag_max.set(worst)
                worst = 0.0
                await self._sample(bus, timers)

    async def probing(self) -> None:
        """Wait until the next lag probe has started (so the one before it is recorded)."""
        await self._probing.wait()

    async def _sample(self, bus: MessageBus, timers: TimerService) -> None:
        try:
            backlog = await bus.backlog()
            next_at = await timers.store.next_fire_at()
        except Exception:  # Redis or the database away: the figures wait for the next sample
            log.warning("metrics sample failed", exc_info=True)
            return
        for row in backlog:
            self.waiting.labels(row.topic, row.group).set(row.waiting)
            self.unacked.labels(row.topic, row.group).set(row.unacked)
        self.overdue.set(0.0 if next_at is None else max(0.0, time.time() - next_at))


SAMPLED = web.AppKey("node_metrics", Sampled)


def install(app: web.Application) -> None:
    """Register the node's figures on its registry; sampling runs while the app does."""
    registry = app[METRICS]
    ProcessCollector(registry=registry)  # CPU, memory, open file descriptors (LimitNOFILE)
    sampled, errors = Sampled(registry), ErrorCount(registry)
    app[SAMPLED] = sampled

    async def running(app: web.Application) -> AsyncIterator[None]:
        registry.register(ReadAtScrape(app[REALTIME], app[TIMERS]))
        logging.getLogger().addHandler(errors)
        task = asyncio.create_task(sampled.run(app[BUS], app[TIMERS]), name="node-metrics")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        logging.getLogger().removeHandler(errors)

    app.cleanup_ctx.append(running)
