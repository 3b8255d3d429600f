"""Prometheus figures of the media service, read from the pool at scrape time."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.core import GaugeMetricFamily, Metric

from media.pool import MediaPool


def register(registry: CollectorRegistry, pool: MediaPool) -> None:
    figures: dict[str, tuple[str, Callable[[], float]]] = {
        "gridhub_media_workers": ("media workers configured", lambda: len(pool.slots)),
        "gridhub_media_workers_up": (
            "media workers connected",
            lambda: sum(s.state == "up" for s in pool.slots.values()),
        ),
        "gridhub_media_worker_restarts": (
            "media worker restarts and redials since the hub started",
            lambda: sum(s.restarts for s in pool.slots.values()),
        ),
        "gridhub_media_rooms": ("media rooms placed by this hub", lambda: len(pool.placement)),
        "gridhub_media_participants": (
            "participants on the workers (last load reports)",
            lambda: sum(int(s.load.get("participants", 0)) for s in pool.slots.values()),
        ),
    }
    for name, (text, read) in figures.items():
        Gauge(name, text, registry=registry).set_function(read)
    registry.register(WorkerLoad(pool))


class WorkerLoad:
    """Each worker's load as placement sees it: the larger of participants/capacity and its
    CPU share (1.0 = full; a worker that is down reports nothing)."""

    def __init__(self, pool: MediaPool) -> None:
        self.pool = pool

    def collect(self) -> Iterator[Metric]:
        load = GaugeMetricFamily(
            "gridhub_media_worker_load",
            "media worker load, 1.0 = full (participants/capacity or CPU share)",
            labels=["worker"],
        )
        for name, slot in sorted(self.pool.slots.items()):
            if slot.state == "up":
                load.add_metric([name], slot.score())
        yield load
