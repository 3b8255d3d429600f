"""The device registry additions (core) as devices and operators meet them: HTTP and CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from plugins.alarms import protocol
from plugins.alarms.client import DeviceClient, DeviceRefused
from tests.hub.conftest import bearer, login
from tests.hub.processes import gridhub, ok
from tests.plugins.alarms.conftest import WATER, AlarmHub


async def test_http_move_disable_firmware_metadata_and_rotate(
    hub: AlarmHub, devices: list[DeviceClient]
) -> None:
    admin = bearer(await login(hub.client, "admin"))
    path = f"/api/v1/devices/{WATER}"
    change = {"grid": "370783-001-001-01", "firmware": "3.1", "properties": {"depth_m": 4}}
    response = await hub.client.patch(path, json=change, headers=admin)
    moved = await response.json()
    assert response.status == 200, moved
    assert (moved["firmware"], moved["properties"]) == ("3.1", {"depth_m": 4})
    assert (
        await hub.client.get(path, headers=bearer(await login(hub.client, "v01.cmd")))
    ).status == 200
    bad = await hub.client.patch(path, json={"grid": "nope"}, headers=admin)
    assert bad.status == 404
    refused = await hub.client.patch(
        path, json={"active": False}, headers=bearer(await login(hub.client, "v01.cmd"))
    )
    assert refused.status == 403
    rotated = await hub.client.post(path + "/rotate-key", headers=admin)
    new_key = (await rotated.json())["key"]
    old = hub.device(WATER)
    devices.append(old)
    with pytest.raises(DeviceRefused) as refused_old:
        await old.connect()
    assert refused_old.value.code == protocol.CLOSE_AUTH_FAILED
    fresh = DeviceClient(hub.url, WATER, new_key)
    devices.append(fresh)
    await fresh.connect()
    await fresh.wait_acked(await fresh.heartbeat())


async def test_cli_list_update_rotate(tmp_path: Path, demo_template: Path) -> None:
    shutil.copyfile(demo_template, tmp_path / "gridhub.db")
    data = ["--data-dir", str(tmp_path)]
    await ok(
        "device", "update", WATER, "--disable", "--firmware", "9.9", "--meta", "river=弥河", *data
    )
    listed = await ok("device", "list", *data)
    line = next(row for row in listed.splitlines() if row.startswith(WATER))
    assert line.split("\t")[3:5] == ["disabled", "9.9"]
    rotated = await ok("device", "rotate-key", WATER, *data)
    assert "new key (shown once): dk_" in rotated
    failed = await gridhub("device", "update", WATER, "--grid", "no-such-grid", *data)
    assert failed.code != 0
    assert "grid" in failed.err
