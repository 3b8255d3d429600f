"""Device traffic in /metrics, read from the node's ingestion front at scrape time."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from plugins.alarms.ingest import Ingest


class DeviceFigures:
    """`gridhub_device_connections` and `gridhub_device_frames_total{outcome}` of this node."""

    def __init__(self, ingest: Ingest) -> None:
        self.ingest = ingest

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "gridhub_device_connections",
            "devices with a live stream on this node (WebSocket /ws/device)",
            value=len(self.ingest.streams),
        )
        frames = CounterMetricFamily(
            "gridhub_device_frames",
            "device frames by outcome: accepted (new, sent to be stored), duplicate (resent, "
            "already stored), invalid, rate_limited, write_failed (accepted, then not stored)",
            labels=["outcome"],
        )
        for outcome, count in self.ingest.frames.items():
            frames.add_metric([outcome], count)
        yield frames
