"""Ack after durable: SIGKILL a real hub process between send and ack; the device resends."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

from plugins.alarms.client import DeviceClient
from tests import services
from tests.cluster.nodes import Node, _spawn, wait_healthy
from tests.hub.processes import clean_env
from tests.plugins.alarms.conftest import WATER, eventually

FRAMES = 3000


def start_node(data_dir: Path, port: int, name: str) -> Node:
    env = clean_env(
        GRIDHUB_PLUGINS__ENABLED='["alarms"]',
        GRIDHUB_PLUGINS__CONFIG=json.dumps({"alarms": {"rate_burst": 10_000}}),
        GRIDHUB_LOG_LEVEL="WARNING",
    )
    command = [sys.executable, "-m", "hub", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--data-dir", str(data_dir)]  # fmt: skip
    log = data_dir / f"{name}.log"
    return Node(name, port, _spawn(command, env, log), log)


def stored_seqs(database: Path, device_code: str) -> list[int]:
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT f.seq FROM alarm_frames f JOIN devices d ON d.id = f.device_id"
            " WHERE d.code = ? ORDER BY f.seq",
            (device_code,),
        ).fetchall()
    db.close()
    return [r[0] for r in rows]


async def send_all(device: DeviceClient) -> None:
    """Number and send FRAMES frames; once the hub is gone they are only kept, unacked."""
    for i in range(FRAMES):
        with contextlib.suppress(ConnectionError):  # numbered and kept: resent later
            await device.telemetry(level=1.0 + i / FRAMES)
        if i % 100 == 0:
            await asyncio.sleep(0)


@pytest.fixture
def data_dir(tmp_path: Path, demo_template: Path) -> Path:
    shutil.copyfile(demo_template, tmp_path / "gridhub.db")
    return tmp_path


async def test_killed_between_send_and_ack_nothing_lost_nothing_doubled(
    data_dir: Path, device_keys: dict[str, str]
) -> None:
    port = services.free_port()
    node = start_node(data_dir, port, "first")
    device = DeviceClient(f"http://127.0.0.1:{port}", WATER, device_keys[WATER], binary=True)
    try:
        await wait_healthy(node)
        await device.connect()
        sender = asyncio.create_task(send_all(device))
        await eventually(lambda: device.acked > 0)
        node.kill()  # frames are in flight: some acked, the rest not (or not even sent)
        await sender
        acked_before = device.acked
        assert 0 < acked_before < FRAMES, acked_before
        assert stored_seqs(data_dir / "gridhub.db", WATER)[:acked_before] == list(
            range(1, acked_before + 1)
        )
        await device.close()
        node = start_node(data_dir, port, "second")
        await wait_healthy(node)
        welcome = await device.connect()
        assert welcome["acked"] >= acked_before
        await device.wait_acked(FRAMES, within_s=30)
        assert stored_seqs(data_dir / "gridhub.db", WATER) == list(range(1, FRAMES + 1))
    finally:
        await device.close()
        node.stop()
        await asyncio.sleep(0)
