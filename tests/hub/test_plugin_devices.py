"""A plugin reads the core device registry and reports sightings only through `ctx.devices`."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hub.errors import InvalidInput
from hub.plugins import BasePlugin, PluginContext
from tests.hub.conftest import Client, StartHub, bearer, login

WATER = "dev-wl-01"  # demo water gauge in 王家村
GAS = "dev-gas-02"  # demo gas box in 海丰村


class Watcher(BasePlugin):
    """Keeps its context, as a plugin that watches devices would."""

    name = "watcher"

    async def setup(self, ctx: PluginContext) -> None:
        self.ctx = ctx


@pytest.fixture
async def watched(start_hub: StartHub, database_url: str) -> tuple[Client, PluginContext, str]:
    watcher = Watcher()
    hub = await start_hub(database_url=database_url, with_plugins={"watcher": watcher})
    return hub.client, watcher.ctx, await login(hub.client, "admin")


async def registry(client: Client, token: str, code: str) -> dict[str, Any]:
    """The device as the registry's own API shows it to an admin."""
    response = await client.get(f"/api/v1/devices/{code}", headers=bearer(token))
    assert response.status == 200
    found: dict[str, Any] = await response.json()
    return found


def demo_keys(request: pytest.FixtureRequest) -> dict[str, str]:
    template: Path = request.getfixturevalue("demo_template")
    keys: dict[str, str] = json.loads((template.parent / "demo-device-keys.json").read_text())
    return keys


async def test_look_ups_match_the_registry_and_never_carry_the_key(
    watched: tuple[Client, PluginContext, str],
) -> None:
    client, ctx, token = watched
    shown = await registry(client, token, WATER)
    found = await ctx.devices.by_code(WATER)
    assert found is not None
    assert (found.id, found.grid_id, found.name, found.active) == (
        shown["id"], shown["grid_id"], shown["name"], True
    )  # fmt: skip
    assert "key_hash" not in {f.name for f in fields(found)}
    assert await ctx.devices.by_id(found.id) == found
    assert await ctx.devices.grid_of(found.id) == shown["grid_id"]
    assert await ctx.devices.by_code("no-such-device") is None
    assert await ctx.devices.grid_of(10**9) is None
    gas = await ctx.devices.by_code(GAS)
    assert gas is not None
    assert await ctx.devices.by_ids([found.id, gas.id, 10**9]) == {found.id: found, gas.id: gas}


async def test_verify_takes_only_the_current_key_of_an_enabled_device(
    watched: tuple[Client, PluginContext, str], request: pytest.FixtureRequest
) -> None:
    client, ctx, token = watched
    key = demo_keys(request)[WATER]
    found = await ctx.devices.verify(WATER, key)
    assert found is not None
    assert found.code == WATER
    assert await ctx.devices.verify(WATER, key + "x") is None
    assert await ctx.devices.verify(GAS, key) is None  # another device's key
    response = await client.patch(
        f"/api/v1/devices/{WATER}", json={"active": False}, headers=bearer(token)
    )
    assert response.status == 200
    assert await ctx.devices.verify(WATER, key) is None
    disabled = await ctx.devices.by_code(WATER)
    assert disabled is not None
    assert not disabled.active


async def test_a_plugin_marks_devices_seen_in_bulk_in_its_own_transaction(
    watched: tuple[Client, PluginContext, str],
) -> None:
    client, ctx, token = watched
    water, gas = await ctx.devices.by_code(WATER), await ctx.devices.by_code(GAS)
    assert water is not None
    assert gas is not None
    before = await registry(client, token, WATER)
    at = datetime.now(UTC).replace(microsecond=0)
    async with ctx.sessions.begin() as session:
        await ctx.devices.mark_seen(
            session, {water.id: at, gas.id: at, 10**9: at}, {water.id: "3.1.4"}
        )
    after = await registry(client, token, WATER)
    assert datetime.fromisoformat(after["last_seen_at"]) == at
    assert after["firmware"] == "3.1.4"
    # nothing but the sighting changed
    untouched = ("name", "grid_id", "active", "lat", "lon", "properties", "device_type")
    assert {k: after[k] for k in untouched} == {k: before[k] for k in untouched}
    assert (await ctx.devices.by_id(gas.id)).last_seen_at == at  # type: ignore[union-attr]
    assert await ctx.devices.by_id(10**9) is None  # an unknown id is not created

    async with ctx.sessions.begin() as session:  # an older mark (another node's) is ignored
        await ctx.devices.mark_seen(session, {water.id: at - timedelta(minutes=5)})
    assert datetime.fromisoformat((await registry(client, token, WATER))["last_seen_at"]) == at


async def test_marks_roll_back_with_the_plugins_transaction(
    watched: tuple[Client, PluginContext, str],
) -> None:
    client, ctx, token = watched
    water = await ctx.devices.by_code(WATER)
    assert water is not None

    async def write_then_fail() -> None:
        async with ctx.sessions.begin() as session:
            await ctx.devices.mark_seen(session, {water.id: datetime.now(UTC)}, {water.id: "9"})
            raise RuntimeError("the plugin's own write failed")

    with pytest.raises(RuntimeError):
        await write_then_fail()
    shown = await registry(client, token, WATER)
    assert (shown["last_seen_at"], shown["firmware"]) == (None, None)


@pytest.mark.parametrize(
    ("other_mark", "firmware", "code"),
    [
        (datetime(2026, 1, 1), None, "device.bad_time"),  # naive: no time zone
        (None, "x" * 65, "device.bad_firmware"),
        (None, "", "device.bad_firmware"),
    ],
)
async def test_bad_sightings_are_refused_and_write_nothing(
    watched: tuple[Client, PluginContext, str],
    other_mark: datetime | None,
    firmware: str | None,
    code: str,
) -> None:
    client, ctx, token = watched
    water, gas = await ctx.devices.by_code(WATER), await ctx.devices.by_code(GAS)
    assert water is not None
    assert gas is not None
    marks = {water.id: datetime.now(UTC)}  # a good mark in the same call
    if other_mark is not None:
        marks[gas.id] = other_mark
    versions = {} if firmware is None else {water.id: firmware}
    async with ctx.sessions.begin() as session:
        with pytest.raises(InvalidInput) as refused:
            await ctx.devices.mark_seen(session, marks, versions)
    assert refused.value.code == code
    shown = await registry(client, token, WATER)
    assert (shown["last_seen_at"], shown["firmware"]) == (None, None)


async def test_silent_devices_are_the_enabled_placed_ones_seen_before_the_cutoff(
    watched: tuple[Client, PluginContext, str],
) -> None:
    client, ctx, token = watched
    water, gas = await ctx.devices.by_code(WATER), await ctx.devices.by_code(GAS)
    assert water is not None
    assert gas is not None
    added = await client.post(
        "/api/v1/devices",
        json={"code": "dev-loose-01", "name": "未安装", "device_type": "smoke"},
        headers=bearer(token),
    )
    assert added.status == 201
    loose = await ctx.devices.by_code("dev-loose-01")
    assert loose is not None
    assert loose.grid_id is None
    now = datetime.now(UTC)
    async with ctx.sessions.begin() as session:
        old = now - timedelta(hours=1)
        await ctx.devices.mark_seen(session, {water.id: old, gas.id: now, loose.id: old})
    silent = await ctx.devices.silent_since(now - timedelta(minutes=1))
    assert [d.code for d in silent] == [WATER]  # gas: recent; loose: in no grid; rest: never
    await client.patch(f"/api/v1/devices/{WATER}", json={"active": False}, headers=bearer(token))
    assert await ctx.devices.silent_since(now - timedelta(minutes=1)) == []
    with pytest.raises(InvalidInput):
        await ctx.devices.silent_since(datetime(2026, 1, 1))
