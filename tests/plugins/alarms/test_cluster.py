"""Cluster mode: devices on a node killed with SIGKILL reconnect to another node and resend;
every acknowledged frame is stored exactly once (PostgreSQL, Redis, real `gridhub serve`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from plugins.alarms.client import DeviceClient
from storage.sql import create_engine
from tests.cluster.nodes import Cluster, deployment
from tests.plugins.alarms.conftest import eventually

CODES = ("dev-wl-01", "dev-wl-02", "dev-temp-01", "dev-smoke-01", "dev-gas-01", "dev-door-01")
FRAMES = 400


@pytest.fixture
async def cluster(postgres_server: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    env = {
        "GRIDHUB_PLUGINS__ENABLED": '["alarms"]',
        "GRIDHUB_PLUGINS__CONFIG": json.dumps({"alarms": {"rate_burst": 10_000}}),
        "GRIDHUB_REALTIME__NODE_TTL_S": "2",
    }
    with deployment(postgres_server, tmp_path, "gridhub_alarms_", env) as nodes:
        yield nodes


async def stream(device: DeviceClient) -> None:
    """Send FRAMES telemetry frames; while disconnected they are numbered and kept."""
    for i in range(FRAMES):
        with contextlib.suppress(ConnectionError):
            await device.telemetry(level=float(i))
        await asyncio.sleep(0.002)


async def stored(database_url: str) -> dict[str, list[int]]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT d.code, f.seq FROM alarm_frames f JOIN devices d ON d.id = f.device_id"
                    " ORDER BY d.code, f.seq"
                )
            )
            found: dict[str, list[int]] = {}
            for code, seq in rows:
                found.setdefault(code, []).append(seq)
            return found
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_devices_of_a_killed_node_resend_to_another_exactly_once(cluster: Cluster) -> None:
    a, b = await cluster.start("a"), await cluster.start("b")
    keys = json.loads((cluster.workdir / "demo-device-keys.json").read_text())
    devices = [DeviceClient(a.url, code, keys[code], binary=i % 2 == 0) for i, code in
               enumerate(CODES)]  # fmt: skip
    try:
        for device in devices:
            await device.connect()
        senders = [asyncio.create_task(stream(d)) for d in devices]
        await eventually(lambda: all(d.acked > 20 for d in devices), 30)
        a.kill()
        acked_on_a = {d.code: d.acked for d in devices}
        for device in devices:  # reconnect to the surviving node
            await device.close()
            device.url = b.url.replace("http", "ws", 1) + "/ws/device"
            await device.connect()
        await asyncio.gather(*senders)
        for device in devices:
            await device.wait_acked(FRAMES, within_s=30)
        found = await stored(cluster.database_url)
        for device in devices:
            assert found[device.code] == list(range(1, FRAMES + 1)), device.code
            assert acked_on_a[device.code] < FRAMES
    finally:
        for device in devices:
            await device.close()
