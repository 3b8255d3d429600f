"""Prometheus figures of the media service, read from the pool at scrape time."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Gauge

from media.pool import MediaPool


def register(registry: CollectorRegistry, pool: MediaPool) -> None:
    figures: dict[str, tuple[str, Callable[[], float]]] = {
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
