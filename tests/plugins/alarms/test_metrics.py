"""Device traffic in /metrics: live device streams and frames by outcome, read over HTTP."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from plugins.alarms.client import DeviceClient
from tests.plugins.alarms.conftest import AlarmHub, eventually

Figures = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(hub: AlarmHub) -> Figures:
    response = await hub.client.get("/metrics")
    assert response.status == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(await response.text())
        for sample in family.samples
    }


def frames(figures: Figures, outcome: str) -> float:
    return figures[("gridhub_device_frames_total", (("outcome", outcome),))]


async def test_device_streams_and_frames_by_outcome_are_counted(
    hub: AlarmHub, devices: list[DeviceClient]
) -> None:
    before = await scrape(hub)
    assert before[("gridhub_device_connections", ())] == 0
    assert frames(before, "accepted") == frames(before, "duplicate") == 0
    device = hub.device()
    devices.append(device)
    await device.connect()
    for _ in range(3):
        await device.telemetry(level=1.0)
    await device.wait_acked(3)
    after = await scrape(hub)
    assert after[("gridhub_device_connections", ())] == 1
    assert (frames(after, "accepted"), frames(after, "duplicate")) == (3, 0)
    await device.close()
    # a device that lost its acks resends 2 and 3, then sends 4: two duplicates, one new
    again = hub.device(seq=1)
    devices.append(again)
    await again.connect()
    again.unacked.clear()
    await again.telemetry(level=9.0)
    await again.telemetry(level=9.0)
    again.seq = 3
    await again.telemetry(level=2.0)
    await again.wait_acked(4)
    await again.frame({"type": "telemetry", "metrics": {"level": "high"}})  # invalid
    await eventually(lambda: again.errors)
    last = await scrape(hub)
    assert (frames(last, "accepted"), frames(last, "duplicate")) == (4, 2)
    assert frames(last, "invalid") == 1
    assert frames(last, "write_failed") == frames(last, "rate_limited") == 0
