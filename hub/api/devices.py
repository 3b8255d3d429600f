"""/api/v1/devices: the core device registry (keys shown once, stored hashed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from hub import policy
from hub.access import STAFF_ROLES, in_scope
from hub.audit import Actor
from hub.devices import DeviceSpec, DeviceUpdate
from hub.errors import NotFound
from hub.keys import DEVICES, GRIDS
from hub.web import Call, Router
from storage.models import Device

DEVICES_LIST = policy.for_roles("devices.list", STAFF_ROLES, policy.Scope.LISTED)
DEVICE_READ = policy.for_roles("devices.read", STAFF_ROLES, policy.Scope.DEVICE)
DEVICES_ADMIN = policy.admin_only("devices.admin")


class DeviceOut(BaseModel):
    id: int
    code: str
    name: str
    device_type: str
    grid_id: int | None
    lat: float | None
    lon: float | None
    active: bool
    firmware: str | None
    last_seen_at: datetime | None
    properties: dict[str, Any]


class KeyOut(BaseModel):
    code: str
    key: str


def device_out(row: Device) -> DeviceOut:
    return DeviceOut(
        id=row.id,
        code=row.code,
        name=row.name,
        device_type=row.device_type,
        grid_id=row.grid_id,
        lat=row.lat,
        lon=row.lon,
        active=row.is_active,
        firmware=row.firmware,
        last_seen_at=row.last_seen_at,
        properties=row.properties or {},
    )


def build_router() -> Router:
    router = Router("/api/v1/devices", "devices")

    @router.get("", summary="Devices in your scope", response=list[DeviceOut], rule=DEVICES_LIST)
    async def list_devices(call: Call[None, None]) -> list[DeviceOut]:
        who = call.who
        index = call.request.app[GRIDS].index
        grid_ids = None if who.is_admin else index.scope_ids(who.grid_ids(STAFF_ROLES))
        return [device_out(d) for d in await call.request.app[DEVICES].in_grids(grid_ids)]

    @router.post(
        "",
        summary="Register a device; its key is shown once (admin)",
        body=DeviceSpec,
        response=KeyOut,
        status=201,
        rule=DEVICES_ADMIN,
    )
    async def add(call: Call[DeviceSpec, None]) -> KeyOut:
        index = call.request.app[GRIDS].index
        issued = await call.request.app[DEVICES].add(call.body, index, Actor.of(call.who))
        return KeyOut(code=issued.code, key=issued.key)

    @router.post(
        "/{code}/rotate-key",
        summary="Issue a new key; the old one stops working",
        response=KeyOut,
        rule=DEVICES_ADMIN,
    )
    async def rotate(call: Call[None, None]) -> KeyOut:
        code = call.request.match_info["code"]
        issued = await call.request.app[DEVICES].rotate_key(code, Actor.of(call.who))
        return KeyOut(code=issued.code, key=issued.key)

    @router.get(
        "/{code}",
        summary="One device: grid, last seen, firmware, metadata",
        rule=DEVICE_READ,
        response=DeviceOut,
    )
    async def get(call: Call[None, None]) -> DeviceOut:
        who = call.who
        row = await call.request.app[DEVICES].get(call.request.match_info["code"])
        index = call.request.app[GRIDS].index
        if not who.is_admin and (
            row.grid_id is None or not in_scope(who, index, row.grid_id, STAFF_ROLES)
        ):
            raise NotFound("device.not_found", "no such device in your scope")
        return device_out(row)

    @router.patch(
        "/{code}",
        summary="Rename, move to another grid, disable/enable, firmware, metadata (admin)",
        body=DeviceUpdate,
        response=DeviceOut,
        rule=DEVICES_ADMIN,
    )
    async def update(call: Call[DeviceUpdate, None]) -> DeviceOut:
        code = call.request.match_info["code"]
        index = call.request.app[GRIDS].index
        row = await call.request.app[DEVICES].update(code, call.body, index, Actor.of(call.who))
        return device_out(row)

    return router
