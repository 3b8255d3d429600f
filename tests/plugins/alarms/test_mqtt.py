"""The MQTT bridge against a real, private Mosquitto broker."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiomqtt
import msgpack
import pytest
from sqlalchemy import select

from hub.keys import SESSIONS
from plugins.alarms.models import Alarm, DeviceFrame
from tests import services
from tests.plugins.alarms.conftest import WATER, AlarmHub, StartAlarms

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
PREFIX = "gridhub/devices"


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[int]:
    """A private broker on a free loopback port, stopped at the end."""
    port = services.free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    process = subprocess.Popen(
        [MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _wait(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait(port: int, process: subprocess.Popen[bytes]) -> None:
    """Until the broker accepts connections (bounded); its stderr if it died."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    err = process.stderr.read().decode() if process.stderr and process.poll() is not None else ""
    raise RuntimeError(f"mosquitto did not start: {err}")


class MqttDevice:
    """A device speaking the protocol over MQTT: frames up, acks and errors down."""

    def __init__(self, client: aiomqtt.Client, code: str, binary: bool) -> None:
        self.client, self.code, self.binary = client, code, binary
        self.down: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def send(self, message: dict[str, Any]) -> None:
        payload = msgpack.packb(message) if self.binary else json.dumps(message).encode()
        await self.client.publish(f"{PREFIX}/{self.code}/up", payload, qos=1)

    async def reader(self) -> None:
        async for message in self.client.messages:
            data = bytes(message.payload)  # type: ignore[arg-type]
            self.down.put_nowait(msgpack.unpackb(data) if self.binary else json.loads(data))

    async def next(self, kind: str, within_s: float = 5.0) -> dict[str, Any]:
        async with asyncio.timeout(within_s):
            while True:
                message = await self.down.get()
                if message["type"] == kind:
                    return message

    async def hello(self) -> dict[str, Any]:
        """Ask until the bridge (subscribing in the background) answers with a welcome."""
        for _ in range(100):
            await self.send({"type": "hello"})
            try:
                return await self.next("welcome", within_s=0.2)
            except TimeoutError:
                continue
        raise AssertionError("the bridge never answered")


@pytest.fixture
async def bridged(start_alarms: StartAlarms, mosquitto: int) -> AlarmHub:
    return await start_alarms({"mqtt": {"enabled": True, "port": mosquitto}})


async def mqtt_device(port: int, binary: bool) -> AsyncIterator[MqttDevice]:
    async with aiomqtt.Client("127.0.0.1", port) as client:
        await client.subscribe(f"{PREFIX}/{WATER}/down", qos=1)
        device = MqttDevice(client, WATER, binary)
        reader = asyncio.create_task(device.reader())
        try:
            yield device
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)


@pytest.mark.parametrize("binary", [False, True], ids=["json", "msgpack"])
async def test_frames_over_mqtt_are_stored_once_and_acked(
    bridged: AlarmHub, mosquitto: int, binary: bool
) -> None:
    async for device in mqtt_device(mosquitto, binary):
        assert (await device.hello())["acked"] == 0
        await device.send({"type": "telemetry", "seq": 1, "metrics": {"level": 1.1}})
        await device.send({"type": "alarm", "seq": 2, "alarm": "leak", "severity": "MAJOR"})
        await device.send({"type": "heartbeat", "seq": 3})
        while (await device.next("ack"))["seq"] < 3:
            pass
        # a resend (the device missed the ack) is dropped and acked again
        await device.send({"type": "alarm", "seq": 2, "alarm": "leak", "severity": "MAJOR"})
        await device.send(
            {"type": "batch", "frames": [{"type": "clear", "seq": 4, "alarm": "leak"}]}
        )
        while (await device.next("ack"))["seq"] < 4:
            pass
        await device.send({"type": "telemetry", "seq": 5, "metrics": {"level": "x"}})
        error = await device.next("error")
        assert error["code"] == "frame.invalid"
    async with bridged.app[SESSIONS]() as session:
        seqs = list(await session.scalars(select(DeviceFrame.seq).order_by(DeviceFrame.seq)))
        alarm = (await session.scalars(select(Alarm))).one()
    assert seqs == [1, 2, 3, 4]
    assert (alarm.count, alarm.active) == (1, False)
