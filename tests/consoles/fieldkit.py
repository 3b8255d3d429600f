"""Helpers of the field app and residents' page tests: a phone-sized browser context, incidents
made and dispatched over the API, and a small generated PNG for photo uploads."""

from __future__ import annotations

import struct
import zlib
from typing import Any

from tests.consoles.conftest import COMMANDER, WORKER, ConsoleHub

DISPATCH = "/api/v1/dispatch"
# Inside 东庄村第一网格 (370783-001-001-01), w01's grid.
HERE = {"latitude": 36.9263, "longitude": 118.5656, "accuracy": 12}


def phone(**extra: Any) -> dict[str, Any]:
    """Context options of a phone: its viewport, a GPS position and leave to use it."""
    return {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "geolocation": HERE,
        "permissions": ["geolocation"],
        **extra,
    }


def png(width: int = 64, height: int = 48) -> bytes:
    """A real PNG (a red-to-blue gradient) the browser can decode and the hub sniffs as an image."""
    rows = b"".join(
        b"\x00"
        + b"".join(bytes((255 * x // width, 80, 255 - 255 * x // width)) for x in range(width))
        for _ in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def person_id(hub: ConsoleHub, username: str) -> int:
    me = await hub.api("GET", "/api/v1/auth/me", username)
    return int(me["person_id"])


async def dispatched_task(hub: ConsoleHub, title: str, worker: str = WORKER) -> dict[str, Any]:
    """An incident in the worker's grid, registered by the commander and dispatched to them."""
    made = await hub.api(
        "POST", f"{DISPATCH}/incidents", COMMANDER,
        json={"title": title, "category": "env_sanitation", "grid": "370783-001-001-01"},
    )  # fmt: skip
    target = str(await person_id(hub, worker))
    done: dict[str, Any] = await hub.api(
        "POST", f"{DISPATCH}/incidents/{made['id']}/actions/dispatch", COMMANDER,
        json={"version": made["version"], "assignees": [{"kind": "person", "target": target}]},
    )  # fmt: skip
    return done


async def incident(hub: ConsoleHub, incident_id: int) -> dict[str, Any]:
    found: dict[str, Any] = await hub.api("GET", f"{DISPATCH}/incidents/{incident_id}", COMMANDER)
    return found
