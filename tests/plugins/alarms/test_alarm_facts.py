"""A rule's alarm keeps what it compared (metric, op, threshold) so consoles word it in their
own language; a device's own alarm has none. The alarms branch's a0002 adds the columns and
gives alarms raised before it their facts from the English message."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from alembic import command
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

import plugins.alarms.models
from plugins.alarms.client import DeviceClient
from plugins.alarms.plugin import AlarmsPlugin
from storage import migrate
from storage.sql import create_engine
from tests.hub.conftest import login
from tests.plugins.alarms.conftest import AlarmHub
from tests.schema import schema_diff, tables_of

DOOR = "dev-door-01"
RULE = {
    "name": "door battery low",
    "device": DOOR,
    "metric": "battery",
    "op": "lt",
    "threshold": 10,
    "alarm_type": "low_battery",
    "severity": "WARNING",
}


async def alarms_of(hub: AlarmHub, token: str) -> dict[str, dict[str, Any]]:
    body = await (await hub.api("GET", "", token, params={"active": "true"})).json()
    return {alarm["type"]: alarm for alarm in body}


async def test_a_rules_alarm_carries_its_comparison_and_a_devices_alarm_none(
    hub: AlarmHub, devices: list[DeviceClient]
) -> None:
    admin = await login(hub.client, "admin")
    assert (await hub.api("POST", "/rules", admin, json=RULE)).status == 201
    device = hub.device(DOOR)
    devices.append(device)
    await device.connect()
    await device.wait_acked(await device.telemetry(battery=7.5))
    await device.wait_acked(await device.alarm("tamper", "MAJOR", message="lid opened"))
    found = await alarms_of(hub, admin)
    battery = found["low_battery"]
    assert (battery["metric"], battery["op"], battery["threshold"], battery["value"]) == (
        "battery",
        "lt",
        10.0,
        7.5,
    )
    tamper = found["tamper"]
    assert (tamper["metric"], tamper["op"], tamper["threshold"]) == (None, None, None)
    assert tamper["message"] == "lid opened"


def _alembic(conn: Connection, verb: str, target: str) -> None:
    location = AlarmsPlugin.migrations
    assert location is not None
    cfg = migrate.alembic_config([location])
    cfg.attributes["connection"] = conn
    getattr(command, verb)(cfg, target)


async def _old_alarms(engine: AsyncEngine) -> None:
    """Two alarms as a0001 stored them: a rule's (its reading in the message) and a device's."""
    now = datetime(2026, 12, 1, tzinfo=UTC)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO devices (id, code, name, device_type, key_hash, is_active,"
                " properties, key_rotated_at, created_at)"
                " VALUES (1, 'gas-1', 'gas', 'gas', 'x', true, '{}', :now, :now)"
            ),
            {"now": now},
        )
        for alarm_id, message in ((1, "gas leak: ppm 1774.81 ge 1000"), (2, "lid: opened at 3")):
            await conn.execute(
                text(
                    "INSERT INTO alarms (id, device_id, device_code, grid_id, type, severity,"
                    " active, acknowledged, count, value, message, first_at, last_at,"
                    " incident_wanted) VALUES (:id, 1, 'gas-1', 1, 'gas_leak', 'CRITICAL',"
                    " false, false, 1, 1774.81, :message, :now, :now, false)"
                ),
                {"id": alarm_id, "message": message, "now": now},
            )


async def test_the_branch_adds_the_facts_and_reads_them_from_old_messages(
    database_url: str,
) -> None:
    location = AlarmsPlugin.migrations
    assert location is not None
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine, [location])
        async with engine.begin() as conn:
            await conn.run_sync(_alembic, "downgrade", "a0001_alarms")
        await _old_alarms(engine)
        await migrate.upgrade(engine, [location])
        async with engine.connect() as conn:
            rows = (
                await conn.execute(text("SELECT id, metric, op, threshold FROM alarms ORDER BY id"))
            ).all()
            diff = await conn.run_sync(schema_diff, tables_of(plugins.alarms.models))
            columns = await conn.run_sync(
                lambda sync: {c["name"] for c in inspect(sync).get_columns("alarms")}
            )
    finally:
        await engine.dispose()
    assert [tuple(row) for row in rows] == [(1, "ppm", "ge", 1000.0), (2, None, None, None)]
    assert {"metric", "op", "threshold"} <= columns
    assert diff == []
