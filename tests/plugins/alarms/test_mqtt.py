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
from tests.plugins.alarms.conftest import WATER, AlarmHub, StartAlarms, eventually

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
PREFIX = "gridhub/devices"


class Broker:
    """A private Mosquitto on a fixed loopback port that a test can stop and start again."""

    def __init__(self, directory: Path) -> None:
        self.port = services.free_port()
        self.conf = directory / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        _wait(self.port, self.process)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A private broker on a free loopback port, stopped at the end."""
    running = Broker(tmp_path)
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture
def mosquitto(broker: Broker) -> int:
    return broker.port


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

    async def raw(self, payload: bytes) -> None:
        await self.client.publish(f"{PREFIX}/{self.code}/up", payload, qos=1)

    async def reader(self) -> None:
        """Replies come in the encoding of the message answered: JSON objects start with {."""
        async for message in self.client.messages:
            data = bytes(message.payload)  # type: ignore[arg-type]
            json_reply = data.startswith(b"{")
            self.down.put_nowait(json.loads(data) if json_reply else msgpack.unpackb(data))

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


def deep(levels: int) -> bytes:
    return b'{"type":"heartbeat","seq":1,"x":' + b"[" * levels + b"]" * levels + b"}"


# (what, payload, the error code the device gets back)
HOSTILE = [
    ("100k-deep JSON", deep(100_000), "frame.too_large"),  # 200 KB: above max_frame_bytes
    ("20k-deep JSON", deep(20_000), "frame.too_deep"),  # 40 KB: within it
    ("10^400", b'{"type":"telemetry","seq":1,"metrics":{"level":1' + b"0" * 400 + b"}}",
     "frame.malformed"),
    ("bad UTF-8", b'{"type":"heartbeat","seq":1,"firmware":"\xff\xfe"}', "frame.malformed"),
    ("msgpack bomb", b"\xdd\xff\xff\xff\xff", "frame.too_large"),  # claims 2^32-1 items
    ("msgpack nesting", b"\x91" * 60_000, "frame.too_deep"),
]  # fmt: skip


async def bridge_health(hub: AlarmHub) -> tuple[str, dict[str, Any]]:
    body = await (await hub.client.get("/healthz")).json()
    return body["status"], body["checks"]["alarms.mqtt"]["details"]


async def metric(hub: AlarmHub, name: str) -> float:
    text = await (await hub.client.get("/metrics")).text()
    found = [line.split()[1] for line in text.splitlines() if line.startswith(name + " ")]
    assert found, f"no {name} in /metrics"
    return float(found[0])


async def test_hostile_messages_are_answered_and_the_bridge_stays(
    bridged: AlarmHub, mosquitto: int, caplog: pytest.LogCaptureFixture
) -> None:
    async for device in mqtt_device(mosquitto, binary=False):
        await device.hello()
        for what, payload, code in HOSTILE:
            await device.raw(payload)
            error = await device.next("error")
            assert error["code"] == code, what
        await device.send({"type": "heartbeat", "seq": 1, "firmware": "2.0.1"})
        assert (await device.next("ack"))["seq"] == 1
    async with bridged.app[SESSIONS]() as session:
        frames = list(await session.scalars(select(DeviceFrame)))
    assert [(f.seq, f.body) for f in frames] == [(1, {"firmware": "2.0.1"})]
    status, details = await bridge_health(bridged)
    assert status == "ok"
    assert (details["connected"], details["errors"], details["reconnects"]) == (True, 6, 0)
    assert await metric(bridged, "gridhub_alarms_mqtt_errors_total") == len(HOSTILE)
    refused = [r for r in caplog.records if r.name == "gridhub.plugin.alarms.mqtt"]
    assert [r.getMessage() for r in refused] == ["mqtt frame refused"] * len(HOSTILE)
    assert all(r.exc_info is None for r in refused)  # one line each, no traceback


async def test_bridge_reconnects_after_the_broker_restarts(
    start_alarms: StartAlarms, broker: Broker
) -> None:
    mqtt = {"enabled": True, "port": broker.port, "reconnect_s": 0.05, "reconnect_max_s": 0.2,
            "down_after_s": 0.3}  # fmt: skip
    hub = await start_alarms({"mqtt": mqtt})

    async def health_is(status: str, connected: bool) -> dict[str, Any] | None:
        now, details = await bridge_health(hub)
        return details if (now, details["connected"]) == (status, connected) else None

    await eventually(lambda: health_is("ok", True))
    broker.stop()
    down = await eventually(lambda: health_is("degraded", False))
    assert down["down_for_s"] >= 0.3
    assert down["last_error"]
    assert await metric(hub, "gridhub_alarms_mqtt_connected") == 0
    broker.start()
    up = await eventually(lambda: health_is("ok", True))
    assert up["reconnects"] == 1
    assert await metric(hub, "gridhub_alarms_mqtt_reconnects_total") == 1
    async for device in mqtt_device(broker.port, binary=True):
        await device.hello()
        await device.send({"type": "heartbeat", "seq": 1})
        assert (await device.next("ack"))["seq"] == 1
