"""The device WebSocket: authentication, every frame kind in JSON and msgpack, acks, limits."""

from __future__ import annotations

import json
import time
from typing import Any

import aiohttp
import msgpack
import pytest
from sqlalchemy import func, select

from hub.keys import SESSIONS
from plugins.alarms import protocol
from plugins.alarms.client import DeviceClient
from plugins.alarms.models import Alarm, DeviceFrame
from storage.models import Device
from tests.plugins.alarms.conftest import WATER, AlarmHub, StartAlarms, eventually


async def raw_socket(
    hub: AlarmHub,
) -> tuple[aiohttp.ClientSession, aiohttp.ClientWebSocketResponse]:
    http = aiohttp.ClientSession()
    ws = await http.ws_connect(hub.url + "/ws/device")
    return http, ws


async def closed_with(hub: AlarmHub, first: Any) -> tuple[int | None, str]:
    """Send `first` as the first frame; the close code and reason the hub answers with."""
    http, ws = await raw_socket(hub)
    try:
        if isinstance(first, bytes):
            await ws.send_bytes(first)
        else:
            await ws.send_str(first if isinstance(first, str) else json.dumps(first))
        msg = await ws.receive(timeout=5)
        assert msg.type is aiohttp.WSMsgType.CLOSE, msg
        return ws.close_code, str(msg.extra)
    finally:
        await ws.close()
        await http.close()


async def stored(hub: AlarmHub, code: str = WATER) -> list[tuple[int, str]]:
    async with hub.app[SESSIONS]() as session:
        rows = await session.execute(
            select(DeviceFrame.seq, DeviceFrame.kind)
            .join(Device, Device.id == DeviceFrame.device_id)
            .where(Device.code == code)
            .order_by(DeviceFrame.seq)
        )
        return [(r[0], r[1]) for r in rows]


async def test_auth_failures_close_with_documented_codes(hub: AlarmHub) -> None:
    key = hub.keys[WATER]
    assert await closed_with(hub, {"type": "auth", "device": WATER, "key": key + "x"}) == (
        protocol.CLOSE_AUTH_FAILED,
        "auth.failed",
    )
    unknown = {"type": "auth", "device": "dev-nope-99", "key": key}
    assert (await closed_with(hub, unknown))[0] == protocol.CLOSE_AUTH_FAILED
    telemetry_first = {"type": "telemetry", "seq": 1, "metrics": {"level": 1}}
    assert await closed_with(hub, telemetry_first) == (protocol.CLOSE_PROTOCOL, "auth.required")
    assert await closed_with(hub, "{not json") == (1007, "frame.malformed")
    assert await closed_with(hub, b"\xc1\xc1") == (1007, "frame.malformed")
    assert (await closed_with(hub, {"type": "auth", "device": 5, "key": key}))[0] == 4000


async def test_auth_timeout(start_alarms: StartAlarms) -> None:
    hub = await start_alarms({"auth_timeout_s": 0.2})
    http, ws = await raw_socket(hub)
    try:
        msg = await ws.receive(timeout=5)
        assert msg.type is aiohttp.WSMsgType.CLOSE
        assert ws.close_code == protocol.CLOSE_AUTH_TIMEOUT
    finally:
        await ws.close()
        await http.close()


async def test_disabled_device_is_refused(hub: AlarmHub) -> None:
    admin = await hub.client.post(
        "/api/v1/auth/login", json={"username": "admin", "password": "Demo@2026"}
    )
    token = (await admin.json())["access_token"]
    response = await hub.client.patch(
        f"/api/v1/devices/{WATER}",
        json={"active": False},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status == 200, await response.text()
    first = {"type": "auth", "device": WATER, "key": hub.keys[WATER]}
    assert (await closed_with(hub, first))[0] == protocol.CLOSE_AUTH_FAILED


@pytest.mark.parametrize("binary", [False, True], ids=["json", "msgpack"])
async def test_every_frame_kind_is_stored_and_acked(
    hub: AlarmHub, devices: list[DeviceClient], binary: bool
) -> None:
    device = hub.device(binary=binary)
    devices.append(device)
    welcome = await device.connect()
    assert welcome["type"] == "welcome"
    assert welcome["acked"] == 0
    await device.heartbeat(firmware="1.2.3")
    await device.telemetry(level=1.5, flow=0.2)
    await device.alarm("leak", "MINOR", value=3.0, message="wet floor")
    await device.clear("leak")
    last = await device.batch(
        [
            {"type": "telemetry", "metrics": {"level": 1.6}},
            {"type": "heartbeat"},
        ]
    )
    await device.wait_acked(last)
    assert await stored(hub) == [
        (1, "heartbeat"),
        (2, "telemetry"),
        (3, "alarm"),
        (4, "clear"),
        (5, "telemetry"),
        (6, "heartbeat"),
    ]
    async with hub.app[SESSIONS]() as session:
        alarm = (await session.scalars(select(Alarm))).one()
    assert (alarm.type, alarm.severity, alarm.active, alarm.value) == ("leak", "MINOR", False, 3.0)
    assert device.errors == []


async def test_resent_frames_are_dropped_and_acked(
    hub: AlarmHub, devices: list[DeviceClient]
) -> None:
    device = hub.device()
    devices.append(device)
    await device.connect()
    for _ in range(3):
        await device.telemetry(level=1.0)
    await device.wait_acked(3)
    await device.close()
    # a device that lost its acks resends 2..3 and adds 4: only 4 is new
    again = hub.device(seq=1)
    devices.append(again)
    welcome = await again.connect()
    assert welcome["acked"] == 3
    again.unacked.clear()
    await again.telemetry(level=9.0)  # seq 2, a replay of an already stored seq
    await again.telemetry(level=9.0)  # seq 3
    again.seq = 3
    await again.telemetry(level=2.0)  # seq 4
    await again.wait_acked(4)
    assert [s for s, _ in await stored(hub)] == [1, 2, 3, 4]


async def test_bad_frames_get_errors_and_too_many_close(
    start_alarms: StartAlarms, devices: list[DeviceClient]
) -> None:
    hub = await start_alarms({"max_invalid": 3})
    device = hub.device()
    devices.append(device)
    await device.connect()
    await device.frame({"type": "telemetry", "metrics": {"level": "high"}})
    await eventually(lambda: device.errors)
    assert device.errors[0]["code"] == "frame.invalid"
    assert device.errors[0]["seq"] == 1
    for bad in ({"type": "warp", "seq": 9}, {"type": "alarm", "seq": 10, "alarm": "X"}):
        await device.frame(bad)
    await device.frame({"type": "heartbeat", "seq": -1})
    await eventually(lambda: not device.connected)
    assert device._ws is not None
    assert device._ws.close_code == protocol.CLOSE_TOO_MANY_INVALID
    assert await stored(hub) == []


async def test_huge_frame_closes_with_1009(start_alarms: StartAlarms) -> None:
    hub = await start_alarms({"max_frame_bytes": 1024})
    http, ws = await raw_socket(hub)
    try:
        await ws.send_str(json.dumps({"type": "auth", "device": WATER, "key": hub.keys[WATER]}))
        await ws.receive(timeout=5)  # welcome
        await ws.send_str(json.dumps({"type": "heartbeat", "seq": 1, "pad": "x" * 4000}))
        msg = await ws.receive(timeout=5)
        assert msg.type is aiohttp.WSMsgType.CLOSE
        assert ws.close_code == protocol.CLOSE_TOO_BIG
    finally:
        await ws.close()
        await http.close()


async def test_flooding_device_is_closed(
    start_alarms: StartAlarms, devices: list[DeviceClient]
) -> None:
    hub = await start_alarms({"rate_per_s": 5, "rate_burst": 10})
    device = hub.device(binary=True)
    devices.append(device)
    await device.connect()
    for _ in range(40):
        if not device.connected:
            break
        await device.heartbeat()
    await eventually(lambda: not device.connected)
    assert device._ws is not None
    assert device._ws.close_code == protocol.CLOSE_RATE_LIMITED
    async with hub.app[SESSIONS]() as session:
        count = await session.scalar(select(func.count()).select_from(DeviceFrame))
    assert count is not None
    assert count <= 10


async def test_clock_skew_is_clamped(hub: AlarmHub, devices: list[DeviceClient]) -> None:
    device = hub.device()
    devices.append(device)
    await device.connect()
    ahead = time.time() + 3600
    seq = await device.telemetry(ts=ahead, level=1.0)
    await device.wait_acked(seq)
    async with hub.app[SESSIONS]() as session:
        frame = (await session.scalars(select(DeviceFrame))).one()
    assert frame.ts < ahead - 3000
    assert frame.body["skewed"] is True


async def test_msgpack_replies_in_msgpack(hub: AlarmHub) -> None:
    http, ws = await raw_socket(hub)
    try:
        auth = {"type": "auth", "device": WATER, "key": hub.keys[WATER]}
        await ws.send_bytes(msgpack.packb(auth))
        welcome = await ws.receive(timeout=5)
        assert welcome.type is aiohttp.WSMsgType.BINARY
        assert msgpack.unpackb(welcome.data)["type"] == "welcome"
    finally:
        await ws.close()
        await http.close()


def deep_json(levels: int) -> str:
    return '{"type":"auth","x":' + "[" * levels + "]" * levels + "}"


# (what, message, close code, reason): nothing of these can be decoded within the limits
HOSTILE: list[tuple[str, str | bytes, int, str]] = [
    ("100k-deep JSON", deep_json(100_000), 1009, ""),  # aiohttp's own refusal: no reason
    ("20k-deep JSON", deep_json(20_000), 1008, "frame.too_deep"),
    ("10^400", '{"type":"telemetry","seq":1,"metrics":{"level":1' + "0" * 400 + "}}", 1007,
     "frame.malformed"),
    ("1e400", '{"type":"telemetry","seq":1,"metrics":{"level":1e400}}', 1007, "frame.malformed"),
    ("NaN", '{"type":"alarm","seq":1,"alarm":"smoke","value":NaN}', 1007, "frame.malformed"),
    ("lone surrogate", '{"type":"heartbeat","seq":1,"firmware":"\\ud800"}', 1007,
     "frame.malformed"),
    ("msgpack bomb", b"\xdd\xff\xff\xff\xff", 1009, "frame.too_large"),
    ("msgpack nesting", b"\x91" * 60_000, 1008, "frame.too_deep"),
    ("msgpack uint64", msgpack.packb({"type": "heartbeat", "seq": 2**64 - 1}), 1007,
     "frame.malformed"),
]  # fmt: skip


@pytest.mark.parametrize("authenticated", [False, True], ids=["before-auth", "after-auth"])
async def test_undecodable_frames_close_with_protocol_codes(
    hub: AlarmHub, caplog: pytest.LogCaptureFixture, authenticated: bool
) -> None:
    """Each closes its connection with the standard code for it and one log line; the hub
    goes on serving (a valid frame afterwards is stored)."""
    auth = {"type": "auth", "device": WATER, "key": hub.keys[WATER]}
    for what, message, code, reason in HOSTILE:
        http, ws = await raw_socket(hub)
        try:
            if authenticated:
                await ws.send_str(json.dumps(auth))
                assert json.loads((await ws.receive(timeout=5)).data)["type"] == "welcome"
            await (ws.send_bytes(message) if isinstance(message, bytes) else ws.send_str(message))
            msg = await ws.receive(timeout=5)
            closed = (msg.type, ws.close_code, msg.extra)
            assert closed == (aiohttp.WSMsgType.CLOSE, code, reason), what
        finally:
            await ws.close()
            await http.close()
    logged = [r for r in caplog.records if r.name.startswith("gridhub.plugin.alarms")]
    assert [r.getMessage() for r in logged] == ["device frame refused"] * len(HOSTILE)
    assert all(r.exc_info is None for r in logged)
    device = hub.device()
    try:
        await device.connect()
        await device.wait_acked(await device.heartbeat())
    finally:
        await device.close()
    assert [s for s, _ in await stored(hub)] == [1]
