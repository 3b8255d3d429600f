"""Telemetry rules (duration, repetition, persisted state) and offline detection."""

from __future__ import annotations

import time
from typing import Any

from hub.keys import SESSIONS
from plugins.alarms.client import DeviceClient
from plugins.alarms.monitor import delete_old_frames
from tests.hub.conftest import login
from tests.plugins.alarms.conftest import WATER, AlarmHub, StartAlarms, eventually


async def active(hub: AlarmHub, **params: Any) -> list[dict[str, Any]]:
    token = await login(hub.client, "admin")
    response = await hub.api("GET", "", token, params={"active": "true", **params})
    body: list[dict[str, Any]] = await response.json()
    return body


async def test_default_rule_with_duration_raises_and_clears(
    hub: AlarmHub, devices: list[DeviceClient]
) -> None:
    """The default water-level rule: above 3.2 m for 5 minutes (device times drive it)."""
    device = hub.device(WATER)
    devices.append(device)
    await device.connect()
    start = time.time() - 600
    await device.telemetry(ts=start, level=3.5)
    await device.telemetry(ts=start + 200, level=3.6)
    await device.wait_acked(await device.telemetry(ts=start + 290, level=3.7))
    assert await active(hub) == []  # held for 290 s only
    await device.wait_acked(await device.telemetry(ts=start + 301, level=3.4))
    [alarm] = await active(hub)
    assert (alarm["type"], alarm["severity"], alarm["value"]) == ("high_water", "MAJOR", 3.4)
    await device.wait_acked(await device.telemetry(ts=start + 320, level=3.3))
    assert (await active(hub))[0]["count"] == 1  # still raised: not a new alarm per reading
    await device.wait_acked(await device.telemetry(ts=start + 330, level=2.0))
    assert await active(hub) == []  # auto-cleared once the level dropped


async def test_repetition_rule_state_survives_a_restart(
    start_alarms: StartAlarms, devices: list[DeviceClient]
) -> None:
    hub = await start_alarms()
    admin = await login(hub.client, "admin")
    rule = {
        "name": "door sensor fault",
        "device": "dev-door-01",
        "metric": "battery",
        "op": "lt",
        "threshold": 10,
        "repeat": 3,
        "alarm_type": "low_battery",
        "severity": "WARNING",
    }
    created = await hub.api("POST", "/rules", admin, json=rule)
    assert created.status == 201, await created.text()
    bad = await hub.api("POST", "/rules", admin, json={**rule, "op": "between"})
    assert bad.status == 422
    device = hub.device("dev-door-01")
    devices.append(device)
    await device.connect()
    await device.telemetry(battery=8)
    await device.wait_acked(await device.telemetry(battery=7))
    await device.close()
    # a new hub on the same database resumes the streak at 2
    await hub.client.close()
    again = await start_alarms(reuse=hub.data_dir)
    device = again.device("dev-door-01", seq=device.seq)
    devices.append(device)
    await device.connect()
    await device.wait_acked(await device.telemetry(battery=6))
    [alarm] = await active(again)
    assert (alarm["type"], alarm["count"]) == ("low_battery", 1)


async def test_offline_detection_and_back_online(
    start_alarms: StartAlarms, devices: list[DeviceClient]
) -> None:
    hub = await start_alarms(
        {"offline_after_s": 0.5, "offline_check_s": 0.1, "last_seen_flush_s": 0.1}
    )
    device = hub.device(WATER)
    devices.append(device)
    await device.connect()
    await device.wait_acked(await device.heartbeat(firmware="2.0.1"))
    await device.close()
    offline = await eventually(lambda: active(hub, type="offline"))
    assert offline[0]["device_code"] == WATER
    assert offline[0]["severity"] == "MAJOR"
    others = [a for a in await active(hub) if a["device_code"] != WATER]
    assert others == []  # devices never seen are not "offline"
    back = hub.device(WATER, seq=device.seq)
    devices.append(back)
    await back.connect()
    await back.wait_acked(await back.heartbeat())
    await eventually(lambda: _none(active(hub, type="offline")))
    token = await login(hub.client, "admin")
    response = await hub.client.get(
        f"/api/v1/devices/{WATER}", headers={"Authorization": f"Bearer {token}"}
    )
    registry = await response.json()
    assert registry["firmware"] == "2.0.1"
    assert registry["last_seen_at"] is not None


async def _none(pending: Any) -> bool:
    return not await pending


async def test_retention_keeps_each_devices_newest_frame(
    hub: AlarmHub, devices: list[DeviceClient]
) -> None:
    device = hub.device(WATER)
    devices.append(device)
    await device.connect()
    for _ in range(5):
        await device.telemetry(level=1.0)
    await device.wait_acked(5)
    removed = await delete_old_frames(hub.app[SESSIONS], time.time() + 60)  # all are "old"
    assert removed == 4
    await device.close()
    again = hub.device(WATER, seq=5)
    devices.append(again)
    assert (await again.connect())["acked"] == 5  # the dedupe mark survived
